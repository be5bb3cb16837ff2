module kokpit.dev/hack/offline-images/runc-capdrop

go 1.22
