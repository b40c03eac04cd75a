package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/tenants"
)

// upload posts file to path as a browser's multipart form would.
func (a *agent) upload(path, file string) answer {
	a.t.Helper()
	if a.cookies[httpx.CSRFCookie] == "" {
		a.get("/signin")
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.WriteField(httpx.CSRFField, a.cookies[httpx.CSRFCookie])
	fw, _ := mw.CreateFormFile("file", "import.csv")
	_, _ = fw.Write([]byte(file))
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", a.origin)
	return a.do(req)
}

func TestImportPages(t *testing.T) {
	s := orgStack(t)
	r := s.region(t, "Te Tai Hauāuru")
	pho := s.org(t, r, tenants.KindPHO, uuid.Nil, "Te Awa PHO")
	admin := s.regionalAdmin(t, r)
	base := "/regions/" + r.Slug + "/imports"

	want(t, admin.get(base), http.StatusOK, "Bulk import", base+"/templates/staff.csv", `enctype="multipart/form-data"`)

	for _, kind := range []string{"practices", "staff", "enrolment"} {
		res := admin.get(base + "/templates/" + kind + ".csv")
		if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(res.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("%s template: %d %v", kind, res.status, res.header)
		}
	}
	want(t, admin.get(base+"/templates/patients.csv"), http.StatusNotFound)

	slug := "import-" + uuid.NewString()[:8]
	res := admin.upload(base+"/practices", "pho_slug,slug,name,hpi_facility_id,hpi_organisation_id,time_zone,address,contact_email\r\n"+
		pho.Slug+","+slug+",\"Whare Hauora o Te Awa\",,,Pacific/Auckland,,\r\n")
	want(t, res, http.StatusOK, "imported 1 rows", "1 changed")

	staff := "email,name,practice_slug,roles,fte\n" +
		"eve@example.co.nz,\"=cmd|' /C calc'!A0\"," + slug + ",hip,0.5\n" +
		"bad,Someone," + slug + ",hip,0.5\n"
	want(t, admin.upload(base+"/staff", staff), http.StatusUnprocessableEntity, "nothing was imported", "<td data-label=\"Line\">3</td>")
	fixed := strings.Replace(staff, "bad,", "ana@example.co.nz,", 1)
	want(t, admin.upload(base+"/staff", fixed), http.StatusOK, "imported 2 rows", "2 invitations sent")
	want(t, admin.upload(base+"/staff", fixed), http.StatusOK, "0 changed, 2 unchanged")

	csvOut := admin.get(base + "/staff.csv")
	if csvOut.status != http.StatusOK || !strings.Contains(csvOut.body, ",'=cmd|' /C calc'!A0,") {
		t.Fatalf("staff export: %d\n%s", csvOut.status, csvOut.body)
	}

	want(t, admin.upload(base+"/enrolment", "practice_slug,quarter,ethnic_group,age_band,gender,nzdep_quintile,count\n"+
		slug+",FY2026-Q1,maori,25-44,female,5,12\n"), http.StatusOK, "imported 1 rows")

	// Without a file, and from another region's admin.
	want(t, admin.upload(base+"/staff", ""), http.StatusUnprocessableEntity)
	other := s.regionalAdmin(t, s.region(t, "Elsewhere"))
	for _, p := range []string{base, base + "/templates/staff.csv", base + "/staff.csv"} {
		want(t, other.get(p), http.StatusNotFound)
	}
	want(t, other.upload(base+"/staff", fixed), http.StatusNotFound)
}
