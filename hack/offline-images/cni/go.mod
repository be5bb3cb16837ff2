module kokpit.dev/hack/offline-images/cni

go 1.24.0
