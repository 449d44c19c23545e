package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// probeClient opens a fresh connection per probe so that the probe never
// leaves state (an idle pooled connection) behind in the peer.
var probeClient = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
}

// probe sends one request like the load will and checks the answer: 200,
// and the expected body (byte for byte for echoed payloads, as canonical
// XML for a transformation, whose serialisation is Busbar's business).
// A load against a peer that fails this would measure the wrong thing.
func probe(ctx context.Context, url string, body []byte, contentType string, headers [][2]string, want []byte, asXML bool) error {
	status, got, err := post(ctx, url, body, contentType, headers)
	if err != nil {
		return fmt.Errorf("probe: %v", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("probe: status %d: %s", status, tail(string(got), 200))
	}
	if asXML {
		g, err := canonicalXML(got)
		if err != nil {
			return fmt.Errorf("probe: answer is not XML (%v): %s", err, tail(string(got), 200))
		}
		w, err := canonicalXML(want)
		if err != nil {
			return fmt.Errorf("probe: expected body is not XML: %v", err)
		}
		if g != w {
			return fmt.Errorf("probe: transformed body differs: got %s, want %s", tail(string(got), 300), tail(string(want), 300))
		}
		return nil
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("probe: body not echoed unchanged (%d bytes back, %d sent): %s", len(got), len(want), tail(string(got), 200))
	}
	return nil
}

// probeUnrouted sends a request the scenario's routing must reject and
// expects the 404 of its default branch: proof that the peer really
// evaluates the route rather than passing everything through.
func probeUnrouted(ctx context.Context, url string, body []byte, contentType string, headers [][2]string) error {
	status, got, err := post(ctx, url, body, contentType, headers)
	if err != nil {
		return fmt.Errorf("routing probe: %v", err)
	}
	if status != http.StatusNotFound {
		return fmt.Errorf("routing probe: a message that matches no route got status %d, want 404: %s", status, tail(string(got), 200))
	}
	return nil
}

func post(ctx context.Context, url string, body []byte, contentType string, headers [][2]string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", contentType)
	for _, h := range headers {
		req.Header.Set(h[0], h[1])
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("reading the answer: %v", err)
	}
	return resp.StatusCode, got, nil
}
