package evidence

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNotJSONSaysWhatToDo(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"table", "------------------------------------------\n|                ListUsers               |\n+----------------------------------------+\n||            UserSummaryList           ||\n", "table output, not JSON: run aws connect list-users again with --output json"},
		{"text", "USERSUMMARYLIST\tarn:aws:connect:eu-west-2:111122223333:instance/i/agent/u1\tu1\tjane\n", "text output, not JSON: run aws connect list-users again with --output json"},
		{"yaml", "Role:\n  Arn: arn:aws:iam::111122223333:role/R\n  RoleName: R\n", "YAML output, not JSON: run aws iam get-role again with --output json"},
		{"yaml, unknown command", "Account: '111122223333'\nArn: arn:aws:iam::111122223333:user/x\n", "YAML output, not JSON: run the AWS CLI command again"},
		{"text of get-caller-identity", "111122223333\tarn:aws:iam::111122223333:user/x\tAIDA\n", "text output, not JSON: run the AWS CLI command again"},
		{"empty", "", "the file is empty"},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "an image (image/png)"},
		{"zip", "PK\x03\x04\x14\x00\x00\x00\x08\x00", "a zip archive"},
		{"error message", "\nAn error occurred (AccessDenied) when calling the ListUsers operation: no\n", "the AWS CLI's error message"},
		{"prose", "hello there\n", `not JSON (it starts with "hello there")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := NewSet().Load("f.json", []byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSniff(t *testing.T) {
	tests := []struct{ in, kind, what string }{
		{`{"UserSummaryList":[`, SniffAWS, "aws connect list-users"},
		{`{"Role":{"RoleName":"R"}}`, SniffAWS, "aws iam get-role"},
		{`{"log":{"entries":[`, SniffCapture, ""},
		{`{"Records":[`, SniffTrail, ""},
		{`{"UserId":"AIDA","Account":"1","Arn":"a"}`, SniffOther, ""},
		{`SAMLResponse=PHNhbWw`, "", ""},
	}
	for _, tt := range tests {
		if k, w := Sniff([]byte(tt.in)); k != tt.kind || w != tt.what {
			t.Errorf("Sniff(%s) = %q, %q; want %q, %q", tt.in, k, w, tt.kind, tt.what)
		}
	}
}

// get-role-policy*.json sorts before get-role.json: the inline policy is
// the role's, whatever the order.
func TestJoinedByRoleWhateverTheOrder(t *testing.T) {
	inline := `{"RoleName":"R","PolicyName":"P","PolicyDocument":{"Statement":[{"Effect":"Allow","Action":"connect:*","Resource":"*"}]}}`
	role := `{"Role":{"RoleName":"R","Arn":"arn:aws:iam::111122223333:role/R","RoleId":"AROA1","AssumeRolePolicyDocument":{"Statement":[]}}}`
	list := `{"Roles":[{"RoleName":"R","Arn":"arn:aws:iam::111122223333:role/R","RoleId":"AROA1"},{"RoleName":"S","Arn":"arn:aws:iam::111122223333:role/S"}],"IsTruncated":false}`
	for _, order := range [][]string{{inline, role}, {role, inline}, {inline, list, role}, {list, inline}} {
		s := NewSet()
		for i, o := range order {
			if err := s.Load(string(rune('a'+i))+".json", []byte(o)); err != nil {
				t.Fatal(err)
			}
		}
		r := s.RoleByName("R")
		if n := len(s.Roles); n != 1 && n != 2 || r == nil || r.ARN == "" || r.Inline["P"] == nil {
			t.Errorf("roles = %d, R = %+v", len(s.Roles), r)
		}
		for _, x := range s.Roles {
			if x.Name == "R" && x != r {
				t.Errorf("two copies of role R")
			}
		}
	}
}

func TestUnrelatedJSONIsSkipped(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "caller.json"), []byte(`{"UserId":"AIDA","Account":"111122223333","Arn":"arn:aws:iam::111122223333:user/x"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "odd.json"), []byte(`{"hello":1}`), 0o644)
	os.WriteFile(filepath.Join(dir, "users.json"), []byte(`{"UserSummaryList":[]}`), 0o644)
	s := NewSet()
	if err := s.LoadPaths([]string{dir}); err != nil {
		t.Fatal(err)
	}
	if len(s.Skipped) != 2 || s.Skipped[0].What != "aws sts get-caller-identity" || !strings.Contains(s.Skipped[1].String(), "odd.json: not an AWS CLI output samldoctor knows (top-level keys hello)") {
		t.Errorf("skipped = %v", s.Skipped)
	}
	// Nothing read at all is still an error.
	os.Remove(filepath.Join(dir, "users.json"))
	if err := NewSet().LoadPaths([]string{dir}); err == nil || !strings.Contains(err.Error(), "no file holds an AWS CLI output samldoctor reads") {
		t.Errorf("err = %v", err)
	}
}
