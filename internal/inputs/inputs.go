// Package inputs assembles what a diagnosis is made from: the capture,
// the AWS evidence (AWS CLI outputs, a collect bundle, or live calls), the
// IdP's metadata and signing certificates. The command line and the page
// both build their inputs here, so they read and check them the same way.
package inputs

import (
	"context"
	"fmt"
	"io"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/inputfile"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// Live gathers AWS evidence about a capture's sign-in (diagnose --aws,
// serve --aws).
type Live func(ctx context.Context, c *capture.Capture) (*evidence.Bundle, error)

// Builder gathers the inputs of one diagnosis.
type Builder struct {
	reader *capture.Reader
	set    *evidence.Set
	certs  []assertion.Candidate
	got    bool
	// Live, when set, is asked for AWS evidence once the capture is read.
	Live Live
}

// New returns a builder whose captures are read with o (the sign-in
// path's rules are added).
func New(o capture.Options) *Builder {
	return &Builder{reader: signin.NewReader(o), set: evidence.NewSet()}
}

// Capture reads a capture (HAR, SAML-tracer export, a SAML value).
func (b *Builder) Capture(name string, r io.Reader) error {
	b.got = true
	return b.reader.Read(name, r)
}

// CaptureFile reads a capture file.
func (b *Builder) CaptureFile(path string) error {
	b.got = true
	return b.reader.ReadFile(path)
}

// HasCapture reports whether a capture was read.
func (b *Builder) HasCapture() bool { return b.got }

// AWSData reads one AWS CLI JSON output (or a collect bundle).
func (b *Builder) AWSData(name string, data []byte) error { return b.set.Load(name, data) }

// AWSDataPaths reads AWS CLI outputs from files and folders (--aws-data).
func (b *Builder) AWSDataPaths(paths []string) error { return b.set.LoadPaths(paths) }

// AWS is the AWS evidence read so far.
func (b *Builder) AWS() *evidence.Set { return b.set }

// Skipped are the files of --aws-data folders that were not read (named
// pipes, devices).
func (b *Builder) Skipped() []inputfile.Skipped { return b.set.NotRegular }

// IdPMetadata reads the IdP's SAML metadata.
func (b *Builder) IdPMetadata(name string, data []byte) error {
	md, err := assertion.ParseMetadata(inputfile.Bytes(data))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	b.set.IdPMetadata = md
	return nil
}

// IdPCert reads IdP signing certificates (PEM or DER).
func (b *Builder) IdPCert(name string, data []byte) error {
	cs, err := assertion.ParseCerts(inputfile.Bytes(data), name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	b.certs = append(b.certs, cs...)
	return nil
}

// Input finishes reading, asks Live for AWS evidence when set, and
// returns the diagnosis's input; the capture and the evidence are also in
// it (Input.Capture, Input.AWS) for the reports.
func (b *Builder) Input(ctx context.Context) (diagnose.Input, error) {
	c := b.reader.Finish()
	if b.Live != nil {
		bundle, err := b.Live(ctx, c)
		if err != nil {
			return diagnose.Input{}, err
		}
		if err := b.set.LoadBundle("AWS", bundle); err != nil {
			return diagnose.Input{}, err
		}
	}
	return diagnose.Input{Capture: c, AWS: b.set, Certs: b.certs, Context: ctx}, nil
}
