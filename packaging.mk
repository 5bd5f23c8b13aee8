## debian/ and rpm/: distribution packaging, shipped in the tarball.
