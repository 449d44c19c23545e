package httpout

// State is the PassThrough protocol state of an outbound exchange
// (synapse-semantics §3.2). Transport failures are reported as a base code
// plus the state the exchange was in, so the state must be tracked as the
// exchange progresses rather than guessed afterwards.
type State int32

// Protocol states, numbered as Synapse's ProtocolState ordinals.
const (
	RequestReady State = iota
	RequestHead
	RequestBody
	RequestDone
	ResponseHead
	ResponseBody
	ResponseDone
	Closing
	Closed
)

var stateNames = [...]string{"REQUEST_READY", "REQUEST_HEAD", "REQUEST_BODY", "REQUEST_DONE", "RESPONSE_HEAD", "RESPONSE_BODY", "RESPONSE_DONE", "CLOSING", "CLOSED"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "UNKNOWN"
}
