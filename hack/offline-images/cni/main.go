// kokpit-cni: the pod network of kokpit's kind nodes (meta cluster and kind machines), written for
// kokpit. One pod per node (DaemonSet, host network) that
//   - writes /etc/cni/net.d/10-kokpit.conflist: the standard ptp + host-local + portmap plugins
//     (Debian's containernetworking-plugins in the node image) over this node's spec.podCIDR. ptp, not
//     bridge: pod-to-pod traffic then crosses the node's IP stack, so kube-proxy's DNAT is undone on the
//     way back without br_netfilter (which a kind node cannot load);
//   - keeps one route per other node: its podCIDR via its InternalIP (all nodes share one Docker
//     network, so they are one hop apart).
//
// It polls the Node list (every 10 s, and at once on start): small clusters, no client library.
// Standard library only; routes are set with `ip route replace` (busybox in the image).
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const saDir = "/var/run/secrets/kubernetes.io/serviceaccount"

type nodeList struct {
	Items []struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			PodCIDR string `json:"podCIDR"`
		} `json:"spec"`
		Status struct {
			Addresses []struct {
				Type    string `json:"type"`
				Address string `json:"address"`
			} `json:"addresses"`
		} `json:"status"`
	} `json:"items"`
}

// apiServer is where to reach the API: API_SERVER (a URL, set by kokpit's addon), CONTROL_PLANE_ENDPOINT
// (host:port, set by kind), else the in-cluster Service.
func apiServer() string {
	if s := os.Getenv("API_SERVER"); s != "" {
		return strings.TrimSuffix(s, "/")
	}
	if s := os.Getenv("CONTROL_PLANE_ENDPOINT"); s != "" {
		return "https://" + s
	}
	return "https://" + net.JoinHostPort(os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT"))
}

func client() (*http.Client, error) {
	ca, err := os.ReadFile(filepath.Join(saDir, "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("no certificate in %s/ca.crt", saDir)
	}
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}, nil
}

func listNodes(c *http.Client, server string) (*nodeList, error) {
	token, err := os.ReadFile(filepath.Join(saDir, "token")) // re-read: projected tokens rotate
	if err != nil {
		return nil, err
	}
	req, _ := http.NewRequest("GET", server+"/api/v1/nodes", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET /api/v1/nodes: %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	var l nodeList
	return &l, json.Unmarshal(body, &l)
}

func conflist(podCIDR string) []byte {
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       "kokpit",
		"plugins": []any{
			map[string]any{
				"type": "ptp", "ipMasq": true,
				"ipam": map[string]any{"type": "host-local", "ranges": [][]map[string]string{{{"subnet": podCIDR}}}, "routes": []map[string]string{{"dst": "0.0.0.0/0"}}},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	b, _ := json.MarshalIndent(conf, "", "  ")
	return append(b, '\n')
}

// writeIfChanged replaces the file atomically (the runtime may read it at any time).
func writeIfChanged(path string, data []byte) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, path)
}

func main() {
	node := os.Getenv("NODE_NAME")
	confDir := os.Getenv("CNI_CONF_DIR")
	if confDir == "" {
		confDir = "/host/etc/cni/net.d"
	}
	if node == "" {
		log.Fatal("NODE_NAME is not set (downward API spec.nodeName)")
	}
	c, err := client()
	if err != nil {
		log.Fatalf("service account: %v", err)
	}
	server := apiServer()
	log.Printf("kokpit-cni on %s, API %s", node, server)
	routes := map[string]string{} // podCIDR → next hop already set
	for ; ; time.Sleep(10 * time.Second) {
		nodes, err := listNodes(c, server)
		if err != nil {
			log.Printf("listing nodes: %v", err)
			continue
		}
		for _, n := range nodes.Items {
			ip := ""
			for _, a := range n.Status.Addresses {
				if a.Type == "InternalIP" && strings.Contains(a.Address, ".") {
					ip = a.Address
				}
			}
			cidr := n.Spec.PodCIDR
			if cidr == "" {
				continue
			}
			if n.Metadata.Name == node {
				changed, err := writeIfChanged(filepath.Join(confDir, "10-kokpit.conflist"), conflist(cidr))
				if err != nil {
					log.Printf("writing CNI config: %v", err)
				} else if changed {
					log.Printf("CNI config written for %s", cidr)
				}
				continue
			}
			if ip == "" || routes[cidr] == ip {
				continue
			}
			if out, err := exec.Command("ip", "route", "replace", cidr, "via", ip).CombinedOutput(); err != nil {
				log.Printf("route %s via %s (%s): %v: %s", cidr, ip, n.Metadata.Name, err, bytes.TrimSpace(out))
				continue
			}
			routes[cidr] = ip
			log.Printf("route %s via %s (%s)", cidr, ip, n.Metadata.Name)
		}
	}
}
