package quadlet

// .artifact units pull an OCI artifact once (a oneshot service), so that containers can
// depend on it: `engine artifact pull [options] ARTIFACT`.

var artifactTable = &Table{Section: "Artifact", Keys: concatKeys([]Key{
	{Name: "Artifact", Kind: String, Converter: true, Arg: "quay.io/foo/artifact:v1",
		Doc: "The artifact to pull (required)."},
	{Name: "Quiet", Kind: Bool, Flag: "--quiet", Arg: "true",
		Doc: "Do not print pull progress."},
	shared("AuthFile"), shared("CertDir"), shared("Creds"), shared("DecryptionKey"),
	shared("Retry"), shared("RetryDelay"), shared("TLSVerify"),
}, commonKeys)}

func init() {
	register(&unitType{ext: ".artifact", table: artifactTable, resource: artifactName,
		convert: func(c *Conv) { convertPull(c, "Artifact", "artifact", "pull") }})
}

// artifactName is the name other units use for the artifact: its reference.
func artifactName(s *Source) string {
	v, _ := s.File.Get("Artifact", "Artifact")
	return v
}
