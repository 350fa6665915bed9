package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/inputfile"
)

// The shell expands `--aws-data dir/*.json` (as the usage line invites)
// into one --aws-data and more arguments: sortArgs takes the arguments
// apart by what each file is, whatever its place on the command line.

// argKinds are what sortArgs makes of an argument.
const (
	argCapture = "capture"
	argAWS     = "AWS data"
	argTrail   = "CloudTrail log file"
)

// sortedArgs are the arguments taken apart.
type sortedArgs struct {
	captures, awsData, trails []string
	// moved says that an argument was taken for AWS data or a log file
	// rather than for what its place says.
	moved bool
}

// sortArgs takes diagnose's (audit's when audit is set) arguments apart:
// a folder is AWS data, a JSON file is AWS data when it holds an AWS CLI
// output (or any JSON but a capture, after --aws-data), a capture
// otherwise; for audit, a gzip file or CloudTrail's Records is a log file
// (--trail), a capture is refused (audit reads one with --capture).
func sortArgs(args []string, awsGiven, audit bool) (sortedArgs, error) {
	var s sortedArgs
	for _, a := range args {
		kind, why := argKind(a, awsGiven, audit)
		switch kind {
		case argAWS:
			s.awsData = append(s.awsData, a)
			s.moved = true
		case argTrail:
			if !audit {
				return s, usage("%s is a CloudTrail log file: samldoctor audit --trail reads those (diagnose reads a capture, with aws cloudtrail lookup-events output in --aws-data)", a)
			}
			s.trails = append(s.trails, a)
			s.moved = true
		default:
			if audit {
				if why == "" {
					why = "not an AWS CLI output"
				}
				return s, usage("%s: %s; audit takes AWS CLI outputs (--aws-data), CloudTrail log files (--trail), an IdP export (--idp-users) and one sign-in's capture (--capture)", a, why)
			}
			s.captures = append(s.captures, a)
		}
	}
	return s, nil
}

// argKind says what the file a names is; why, for a capture given to
// audit, says what it looked like.
func argKind(a string, awsGiven, audit bool) (kind, why string) {
	if a == "-" {
		return argCapture, "standard input"
	}
	st, err := os.Stat(a)
	if err != nil {
		if audit {
			return argCapture, fmt.Sprint(unwrapPath(err))
		}
		return argCapture, "" // the capture reader says why it cannot be read
	}
	if st.IsDir() {
		return argAWS, ""
	}
	f, err := os.Open(a)
	if err != nil {
		return argCapture, fmt.Sprint(unwrapPath(err))
	}
	defer f.Close()
	raw := make([]byte, 2)
	n, _ := io.ReadFull(f, raw)
	if n == 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		if audit {
			return argTrail, "" // CloudTrail writes .json.gz
		}
		return argCapture, "" // a .har.gz
	}
	f.Seek(0, io.SeekStart)
	text, _ := inputfile.Text(f, 64<<10)
	head, _ := text.Peek(64 << 10)
	switch k, _ := evidence.Sniff(head); k {
	case evidence.SniffAWS:
		return argAWS, ""
	case evidence.SniffTrail:
		return argTrail, ""
	case evidence.SniffOther:
		if awsGiven || audit {
			return argAWS, "" // skipped with a note if it is no output read
		}
	case evidence.SniffCapture:
		return argCapture, "a capture (HAR or SAML-tracer export)"
	case "":
		if audit {
			// Not JSON: the AWS data reader says what it is.
			return argAWS, ""
		}
	}
	return argCapture, ""
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// noteAWSData says on stderr which file was taken as what, when the
// command line did not say it (arguments after --aws-data) or a file was
// skipped.
func (e *env) noteAWSData(set *evidence.Set, captures []string, moved bool) {
	if set == nil || !moved && len(set.Skipped) == 0 {
		return
	}
	var read []string
	for _, c := range captures {
		read = append(read, c+" (capture)")
	}
	for _, src := range set.Sources {
		if src.File != "" {
			read = append(read, src.String())
		}
	}
	if len(read) > 0 {
		fmt.Fprintf(e.stderr, "samldoctor: read: %s\n", safe(strings.Join(read, ", ")))
	}
	for _, k := range set.Skipped {
		fmt.Fprintf(e.stderr, "samldoctor: skipped %s\n", safe(k.String()))
	}
}

// safe quotes control characters of file names for the terminal.
func safe(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
