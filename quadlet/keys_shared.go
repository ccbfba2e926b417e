package quadlet

import "time"

// sharedKeys are the rows that several unit types' tables include by name (shared),
// each declared once here. Their docs are worded for every unit type that uses them.
var sharedKeys = []Key{
	// User namespace (.container, .pod, .kube), read together by applyUserMappings.
	{Name: "UserNS", Kind: String, Converter: true, Arg: "keep-id:uid=200,gid=210",
		Doc: "The user namespace mode, MODE[:OPTIONS,...] (--userns)."},
	{Name: "UIDMap", Kind: Lines, Converter: true, Arg: "0:10000:10",
		Doc: "Map UIDs in a new user namespace; may be repeated (--uidmap)."},
	{Name: "GIDMap", Kind: Lines, Converter: true, Arg: "0:10000:10",
		Doc: "Map GIDs in a new user namespace; may be repeated (--gidmap)."},
	{Name: "SubUIDMap", Kind: String, Converter: true, Arg: "utest",
		Doc: "Map UIDs with the /etc/subuid ranges of this name (--subuidname)."},
	{Name: "SubGIDMap", Kind: String, Converter: true, Arg: "gtest",
		Doc: "Map GIDs with the /etc/subgid ranges of this name (--subgidname)."},
	{Name: "RemapUsers", Kind: String, Converter: true, Arg: "auto",
		Doc: "Deprecated, use UserNS=: manual, auto or keep-id user namespace mapping."},
	{Name: "RemapUid", Kind: Lines, Converter: true, Arg: "0:10000:10",
		Doc: "Deprecated, use UIDMap=: a UID mapping for RemapUsers=."},
	{Name: "RemapGid", Kind: Lines, Converter: true, Arg: "0:10000:10",
		Doc: "Deprecated, use GIDMap=: a GID mapping for RemapUsers=."},
	{Name: "RemapUidSize", Kind: Int, Converter: true, Arg: "65536",
		Doc: "Deprecated, use UserNS=auto:size=: the size of an automatic user namespace."},

	// What the containers run with (.container, .pod, .kube, .build, .network, .volume).
	{Name: "Environment", Kind: KeyValue, Flag: "--env", Arg: "foo=bar",
		Doc: "Environment variables, in systemd's Environment= format (--env)."},
	{Name: "GroupAdd", Kind: Lines, Flag: "--group-add", Arg: "keep-groups",
		Doc: "Add a supplementary group, or keep-groups (--group-add)."},
	{Name: "Label", Kind: KeyValue, Flag: "--label", Arg: "key=value",
		Doc: "Labels on the object the unit makes, a list of key=value items like Environment= (--label)."},
	{Name: "Annotation", Kind: KeyValue, Flag: "--annotation", Arg: "key=value",
		Doc: "Annotations on the object the unit makes, a list of key=value items like Environment= (--annotation)."},
	{Name: "ShmSize", Kind: String, Flag: "--shm-size", Arg: "100m",
		Doc: "The size of /dev/shm, number[unit] (--shm-size)."},
	{Name: "Volume", Kind: Lines, Flag: "-v", Apply: applyContainerVolumes, Arg: "/source:/dest",
		Doc: "Mount a host path or volume, [SOURCE:]DEST[:OPTIONS]; NAME.volume uses that unit's volume (--volume)."},
	{Name: "LogDriver", Kind: String, Flag: "--log-driver", Arg: "journald",
		Doc: "The log driver (--log-driver)."},
	{Name: "LogOpt", Kind: Lines, Flag: "--log-opt", Arg: "path=/var/log/mykube.json",
		Doc: "A log driver option (--log-opt)."},

	// Network.
	{Name: "Network", Kind: Lines, Flag: "--network", Apply: applyNetworks, Arg: "host",
		Doc: "The network mode; NAME.network uses that unit's network, NAME.container that container's network stack (--network)."},
	{Name: "NetworkAlias", Kind: Lines, Flag: "--network-alias", Arg: "name",
		Doc: "A network-scoped DNS alias (--network-alias)."},
	{Name: "IP", Kind: String, Flag: "--ip", Arg: "192.5.0.1",
		Doc: "A static IPv4 address (--ip)."},
	{Name: "IP6", Kind: String, Flag: "--ip6", Arg: "2001:db8::1",
		Doc: "A static IPv6 address (--ip6)."},
	{Name: "PublishPort", Kind: Lines, Flag: "--publish", Arg: "8080:80",
		Doc: "Publish a container port or range to the host, [ip:][hostPort:]containerPort (--publish)."},
	{Name: "HostName", Kind: String, Flag: "--hostname", Arg: "example.com",
		Doc: "The host name the containers see (--hostname)."},
	{Name: "AddHost", Kind: Lines, Flag: "--add-host", Arg: "example.com:192.168.10.11",
		Doc: "Add a host-to-IP mapping to /etc/hosts (--add-host)."},
	{Name: "DNS", Kind: Lines, Flag: "--dns", Arg: "192.168.55.1",
		Doc: "A DNS server for the containers (--dns)."},
	{Name: "DNSOption", Kind: Lines, Flag: "--dns-option", Arg: "ndots:1",
		Doc: "A resolv.conf option for the containers (--dns-option)."},
	{Name: "DNSSearch", Kind: Lines, Flag: "--dns-search", Arg: "example.com",
		Doc: "A DNS search domain for the containers, or \".\" for none (--dns-search)."},

	// Images: the platform (.image, .build) and talking to a registry (.image, .artifact,
	// .build, .container).
	{Name: "Arch", Kind: String, Flag: "--arch", Arg: "aarch64",
		Doc: "The image's architecture, instead of the host's (--arch)."},
	{Name: "Variant", Kind: String, Flag: "--variant", Arg: "arm/v7",
		Doc: "The image's architecture variant, instead of the host's (--variant)."},
	{Name: "AuthFile", Kind: String, Flag: "--authfile", Arg: "/etc/registry/auth.json",
		Doc: "Path of the registry authentication file."},
	{Name: "CertDir", Kind: String, Flag: "--cert-dir", Arg: "/etc/registry/certs",
		Doc: "Folder of certificates (*.crt, *.cert, *.key) for the registry."},
	{Name: "Creds", Kind: String, Flag: "--creds", Arg: "myname:mypassword",
		Doc: "Credentials, [username[:password]], for the registry."},
	{Name: "DecryptionKey", Kind: String, Flag: "--decryption-key", Arg: "/etc/registry.key",
		Doc: "Key[:passphrase] to decrypt encrypted images with."},
	{Name: "Retry", Kind: Int, Flag: "--retry", Arg: "5",
		Doc: "How many times to retry a failed pull (default 3)."},
	{Name: "RetryDelay", Kind: String, Flag: "--retry-delay", Apply: durationFlag, Arg: "10s",
		Doc: "Fixed delay between retries, instead of an exponential back-off."},
	{Name: "TLSVerify", Kind: BoolValue, Flag: "--tls-verify", Arg: "false",
		Doc: "Require HTTPS and verify the registry's certificates (default true)."},
}

// shared returns the row of sharedKeys named name. An unknown name is a mistake in a
// table, found when the package loads.
func shared(name string) Key {
	for _, k := range sharedKeys {
		if k.Name == name {
			return k
		}
	}
	panic("quadlet: no shared key " + name)
}

// withDoc returns the row with a Doc worded for one unit type, where the shared wording
// would be wrong there.
func (k Key) withDoc(doc string) Key {
	k.Doc = doc
	return k
}

// durationFlag is an Apply for keys holding a Go duration ("10s", "1m30s"), as the
// engine's flags read them.
func durationFlag(c *Conv, k *Key) {
	v, _ := c.String(k.Name)
	if v == "" {
		return
	}
	if _, err := time.ParseDuration(v); err != nil {
		c.Errorf(k.Name, "invalid %s=%s: not a duration such as 10s or 1m30s", k.Name, v)
		return
	}
	c.Flag(k.Flag, v)
}
