package main

// buildOAuth composes the OAuth providers (filled in when package oauth lands).
func (s *server) buildOAuth(_ serverOptions) error { return nil }
