package main

import (
	"strings"
	"testing"
)

func TestProxyConfigs(t *testing.T) {
	c := proxyConfig{Dir: "/tmp/x", Port: 20001, Backend: 20002, Dead: 20003, Root: true, NoFile: 20000}
	n := nginxConfig(c)
	for _, want := range []string{
		"daemon off;", "master_process on;", "worker_processes 1;", "user root;", "pid /tmp/x/nginx.pid;",
		"access_log off;", "server 127.0.0.1:20002;", "keepalive 256;", "proxy_http_version 1.1;",
		`proxy_set_header Connection "";`, "client_body_buffer_size 256k;", "listen 127.0.0.1:20001",
		"server 127.0.0.1:20003 max_fails=1", "server 127.0.0.1:20002 backup;", "$http_x_route",
	} {
		if !strings.Contains(n, want) {
			t.Errorf("nginx config lacks %q", want)
		}
	}
	if c.Root = false; strings.Contains(nginxConfig(c), "user root") {
		t.Error("user root without root")
	}
	h := haproxyConfig(c)
	for _, want := range []string{
		"nbthread 1", "mode http", "http-reuse always", "option http-keep-alive", "bind 127.0.0.1:20001",
		"server echo 127.0.0.1:20002", "hdr(X-Route)", "server dead 127.0.0.1:20003", "server live 127.0.0.1:20002 backup", "option redispatch",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("haproxy config lacks %q", want)
		}
	}
	c.NoFile = 100
	if !strings.Contains(haproxyConfig(c), "maxconn 256") {
		t.Error("a tiny descriptor limit should give the minimal maxconn")
	}
}
