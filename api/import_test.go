package api

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"menwei/controller/policy"
	"menwei/controller/store"
)

func storeCard(id, key string) store.Credential {
	return store.Credential{Kind: policy.Card, Key: key, Identity: id}
}

func fmtJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func (a *testAPI) postCSV(t *testing.T, token, query string, file []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile("file", "residents.csv")
	require.NoError(t, err)
	fw.Write(file)
	require.NoError(t, w.Close())
	req, err := http.NewRequest(http.MethodPost, a.URL+"/api/v1/residents/import"+query, &buf)
	require.NoError(t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	return resp.StatusCode, out.String()
}

func problems(rows []ImportRow) map[int][]ImportProblem {
	out := map[int][]ImportProblem{}
	for _, r := range rows {
		if len(r.Problems) > 0 {
			out[r.Line] = r.Problems
		}
	}
	return out
}

// A spreadsheet's CSV, as Excel on a Chinese Windows saves it (GB18030)
// and as UTF-8 with a BOM: a dry run lists every row's problem and writes
// nothing; the import refuses a file with problems and writes a clean one.
func TestImportResidentsCSV(t *testing.T) {
	a := newTestServer(t)
	office := a.officeLogin(t)
	require.NoError(t, a.store.AddCredential(storeCard("li", "h10301:188:24910")))
	bad := "楼号,房号,姓名,电话,卡号\n" +
		"3,201,张伟,138 0013 8000,0012345679\n" + // fine
		"3,202,,138 0013 8001,\n" + // no name
		"3,203,王芳,call me,\n" + // bad phone
		"3,204,刘洋,,0012345679\n" + // the card of line 2 again
		"3,205,陈静,,188,24910\n" + // not quoted: the card is cut at the comma
		"3,206,赵敏,,\"188,24910\"\n" + // Li Wei's card
		"3,201,张伟,,\n" + // line 2 again
		"3,207,孙丽,,12x\n" // not a card
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(bad))
	require.NoError(t, err)
	before := snapshotPeople(t, a)
	status, body := a.postCSV(t, office, "?dry_run=true", gb)
	require.Equal(t, http.StatusOK, status, body)
	r := decode[ImportReply](t, body)
	assert.Equal(t, "gb18030", r.Encoding)
	assert.True(t, r.DryRun)
	require.Len(t, r.Rows, 8)
	assert.Equal(t, "张伟", r.Rows[0].Name, "decoded from GB18030")
	assert.Equal(t, "3-201", r.Rows[0].Unit, "building and flat")
	assert.Equal(t, map[int][]ImportProblem{
		3: {{"name", "required"}},
		4: {{"phone", "invalid"}},
		5: {{"card", "duplicate"}},
		6: {{"card", "invalid"}},
		7: {{"card", "in_use"}},
		8: {{"name", "duplicate"}},
		9: {{"card", "invalid"}},
	}, problems(r.Rows))
	assert.Equal(t, 7, r.Problems)
	assert.Equal(t, 0, r.Written)
	assert.Equal(t, before, snapshotPeople(t, a), "a dry run writes nothing")
	assert.NotContains(t, body, "12345679", "cards are masked in the reply")

	status, body = a.postCSV(t, office, "", gb)
	assert.Equal(t, http.StatusUnprocessableEntity, status, body)
	assert.Contains(t, body, "import_problems")
	assert.Equal(t, before, snapshotPeople(t, a), "a file with problems writes nothing")

	good := "\xEF\xBB\xBF姓名,房号,手机,门卡,分组\n张伟,3-201,138 0013 8000,0012345679,building-3\n王芳,3-203,,\"003,45678\",\n"
	status, body = a.postCSV(t, office, "?dry_run=1", []byte(good))
	require.Equal(t, http.StatusOK, status, body)
	r = decode[ImportReply](t, body)
	assert.Equal(t, "utf-8", r.Encoding)
	assert.Empty(t, problems(r.Rows))
	status, body = a.postCSV(t, office, "", []byte(good))
	require.Equal(t, http.StatusCreated, status, body)
	r = decode[ImportReply](t, body)
	assert.Equal(t, 2, r.Written)
	_, zhang, err := a.store.Lookup(policy.Card, "h10301:188:24911")
	require.NoError(t, err, "the 10 digits kept under the W26 frame")
	assert.Equal(t, "张伟", zhang.Name)
	assert.Equal(t, "3-201", zhang.Unit)
	assert.Equal(t, "138 0013 8000", zhang.Phone)
	assert.Equal(t, []string{"building-3"}, zhang.Groups)
	_, wang, err := a.store.Lookup(policy.Card, "h10301:3:45678")
	require.NoError(t, err)
	assert.Equal(t, "王芳", wang.Name)

	// Again: every row exists now.
	status, body = a.postCSV(t, office, "?dry_run=true", []byte(good))
	require.Equal(t, http.StatusOK, status)
	r = decode[ImportReply](t, body)
	assert.Equal(t, []ImportProblem{{"id", "exists"}, {"card", "in_use"}}, r.Rows[0].Problems)

	for _, tt := range []struct {
		file []byte
		want string
	}{
		{[]byte("\xff\xfe\x00\x00garbage\x81"), "bad_file"},
		{[]byte("房号,电话\n3-201,1\n"), "bad_file"}, // no name column
		{[]byte(""), "bad_file"},
		{[]byte("姓名\n\"unterminated\n"), "bad_file"},
	} {
		status, body := a.postCSV(t, office, "?dry_run=true", tt.file)
		assert.Equal(t, http.StatusBadRequest, status, "%q", tt.file)
		assert.Contains(t, body, tt.want)
	}
	status, _ = a.postCSV(t, a.tokens["guard"], "?dry_run=true", []byte(good))
	assert.Equal(t, http.StatusForbidden, status, "guards do not import")
	status, _ = a.postCSV(t, office, "?bits=37", []byte(good))
	assert.Equal(t, http.StatusBadRequest, status)
}

func snapshotPeople(t *testing.T, a *testAPI) string {
	t.Helper()
	ids, err := a.store.Identities("")
	require.NoError(t, err)
	creds, err := a.store.Credentials("")
	require.NoError(t, err)
	return fmtJSON(ids) + fmtJSON(creds)
}

// Whatever the file, reading it does not panic, and every row it gives
// has a line past the header and an id or a problem.
func FuzzParseResidentsCSV(f *testing.F) {
	for _, s := range []string{"姓名,房号,卡号\n张伟,3-201,0012345678\n", "name\n\"x\n", "楼号,房号,姓名\n3,201,\n", "", "姓名\n\n\n", "name,card\na,\"1,2\"\nb,1:2\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text, _, err := decodeCSVText([]byte(s))
		if err != nil {
			return
		}
		rows, err := parseResidentsCSV(text, 26)
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.Line < 2 {
				t.Fatalf("row at line %d", r.Line)
			}
			if r.ID == "" && len(r.Problems) == 0 {
				t.Fatalf("line %d: no id and no problem", r.Line)
			}
		}
	})
}
