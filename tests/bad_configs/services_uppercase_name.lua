-- expect: error: services.NetworkManager: 'NetworkManager' is not a package name; set `package` to the package
-- Without `package`, a service's name is its package, and this name is none.
return {
    services = {
        NetworkManager = { enable = true },
    },
}
