package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/reportrun"
)

// funderPages: the funder portal. A funder's people see their own
// contracts and the published runs of them, nothing in review or withdrawn
// and nothing of another funder; every file they download is aggregated and
// protected (models/report/protect). A run they may not see is not found,
// the same answer as a run that does not exist.
var funderPages = []page{
	{"GET", "/funders/:funder", funding, permRunRead, (*handler).funderPortal, false},
	{"GET", "/funders/:funder/runs/:run/files/:format", funding, permRunExport, (*handler).funderFile, false},
}

const pageFunderPortal = "funder_portal.html"

func init() { pageFiles = append(pageFiles, pageFunderPortal) }

type fpRunView struct {
	Version     int
	PublishedAt timeView
	AsOf        timeView
	Files       []rnFileView
}

type fpPeriodView struct {
	Title, Label string
	Current      fpRunView
	Superseded   []fpRunView
}

type fpContractView struct {
	Number, Name, Lines, Dates, Frequency string
	Periods                               []fpPeriodView
}

type funderPortalPage struct {
	layout
	FunderName string
	MetricsURL string
	Contracts  []fpContractView
}

func fpView(run reportrun.Run, slug string) fpRunView {
	v := fpRunView{Version: run.Version, AsOf: showTime(run.AsOf, nzZone),
		Files: rnFiles(run, "/funders/"+slug+"/runs/"+run.ID.String()+"/files/")}
	if run.PublishedAt != nil {
		v.PublishedAt = showTime(*run.PublishedAt, nzZone)
	}
	return v
}

// funderPortal lists the funder's contracts, each with its reporting
// periods that have a published run: the latest published version first,
// older published versions beside it as superseded.
func (h *handler) funderPortal(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	f := funderOf(c)
	contracts, err := contract.ForFunder(ctx, h.DB, f.ID)
	if err != nil {
		return err
	}
	runs, err := reportrun.Published(ctx, h.DB, f.ID)
	if err != nil {
		return err
	}
	byContract := map[uuid.UUID][]reportrun.Run{}
	for _, r := range runs {
		byContract[r.ContractID] = append(byContract[r.ContractID], r)
	}
	p := funderPortalPage{layout: h.page(c, "Funder portal — "+f.Name,
		"Published, de-identified reports of "+f.Name+"'s funding contracts.", "/funders/"+f.Slug),
		FunderName: f.Name, MetricsURL: "/metrics"}
	for _, ct := range contracts {
		cv := fpContractView{Number: ct.Number, Name: ct.Name, Lines: ctLineWords(ct.Lines),
			Dates: ctDate(ct.StartsOn) + " – " + ctDate(ct.EndsOn), Frequency: ctFrequencyWords[ct.Frequency]}
		periods := ct.Periods()
		for i := len(periods) - 1; i >= 0; i-- {
			var pv *fpPeriodView
			// Published runs come newest version first within a period.
			for _, r := range byContract[ct.ID] {
				if r.Period != periods[i].Label {
					continue
				}
				if pv == nil {
					pv = &fpPeriodView{Title: periods[i].Title(), Label: periods[i].Label, Current: fpView(r, f.Slug)}
					continue
				}
				pv.Superseded = append(pv.Superseded, fpView(r, f.Slug))
			}
			if pv != nil {
				cv.Periods = append(cv.Periods, *pv)
			}
		}
		p.Contracts = append(p.Contracts, cv)
	}
	return h.render(c, fiber.StatusOK, pageFunderPortal, p)
}

// funderFile sends a file of a published run of one of the funder's
// contracts; any other run, published or not, is not found.
func (h *handler) funderFile(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	f := funderOf(c)
	id, err := uuid.Parse(c.Params("run"))
	if err != nil {
		return fault.NotFound
	}
	run, err := reportrun.ByID(ctx, h.DB, id)
	if err != nil {
		return err
	}
	if run.Status != reportrun.StatusPublished {
		return fault.NotFound
	}
	ct, err := contract.ByID(ctx, h.DB, run.ContractID)
	if err != nil {
		return err
	}
	if ct.FunderID != f.ID {
		return fault.NotFound
	}
	return h.sendRunFile(c, run, c.Params("format"))
}
