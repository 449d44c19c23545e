package cli

// Exported for the external tests.
var TuneGC = tuneGC

const DefaultGCPercent = defaultGCPercent
