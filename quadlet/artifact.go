package quadlet

// .artifact units pull an OCI artifact once (a oneshot service), so that containers can
// depend on it: `engine artifact pull [options] ARTIFACT`.

var artifactTable = &Table{Section: "Artifact", Keys: concatKeys(
	[]Key{
		{Name: "Artifact", Kind: String, Converter: true, Arg: "quay.io/foo/artifact:v1",
			Doc: "The artifact to pull (required)."},
		{Name: "Quiet", Kind: Bool, Flag: "--quiet", Arg: "true",
			Doc: "Do not print pull progress."},
	},
	registryKeys("AuthFile", "CertDir", "Creds", "DecryptionKey", "Retry", "RetryDelay", "TLSVerify"),
	common("ContainersConfModule", "GlobalArgs", "PodmanArgs", "ServiceName"),
)}

func init() {
	register(&unitType{ext: ".artifact", table: artifactTable, convert: convertArtifact, resource: artifactName})
}

// artifactName is the name other units use for the artifact: its reference.
func artifactName(s *Source) string {
	v, _ := s.File.Get("Artifact", "Artifact")
	return v
}

func convertArtifact(c *Conv) {
	artifact, _ := c.String("Artifact")
	if artifact == "" {
		c.Errorf("Artifact", "no Artifact key specified")
		return
	}
	c.Add("artifact", "pull")
	c.ApplyKeys()
	c.Add(c.PodmanArgs()...)
	c.Add(artifact)
	oneshotService(c)
}
