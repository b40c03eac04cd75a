package web

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

type overviewPage struct {
	layout
	Notice    string
	Message   string
	Region    string
	RegionURL string
	CSRF      string
	CanGoLive bool
	Practices []practiceProgressView
	Live      int
	Total     int
}

type practiceProgressView struct {
	Name, Slug     string
	Status         string
	Done, Of       int
	Percent        int
	Ready          bool
	GoLiveAt       timeView
	Items          []onboarding.Item
	GoLiveURL      string
	StatusLabel    string
	OpenRequired   int
	WaitingFeature int
}

var tenantStatusLabels = map[tenants.Status]string{tenants.StatusOnboarding: "Onboarding", tenants.StatusActive: "Live",
	tenants.StatusSuspended: "Suspended", tenants.StatusArchived: "Archived"}

func (h *handler) renderOverview(c *fiber.Ctx, status int, message string) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	list, err := onboarding.RegionOverview(ctx, h.DB, r.ID, time.Now())
	if err != nil {
		return err
	}
	p := overviewPage{
		layout:    h.page(c, "Onboarding — "+r.Name, "", "/regions/"+r.Slug+"/overview"),
		Notice:    practiceNotice(c),
		Message:   message,
		Region:    r.Name,
		RegionURL: "/regions/" + r.Slug,
		CSRF:      httpx.CSRFToken(c),
		CanGoLive: h.regionAllows(c, r, tenantUpdate),
		Total:     len(list),
	}
	for _, pr := range list {
		done, of := pr.Checklist.Progress()
		v := practiceProgressView{Name: pr.Tenant.Name, Slug: pr.Tenant.Slug, Status: string(pr.Tenant.Status),
			StatusLabel: tenantStatusLabels[pr.Tenant.Status], Done: done, Of: of, Ready: pr.Checklist.Ready(),
			GoLiveAt: showTime(pr.GoLiveAt, pr.Tenant.Location()), Items: pr.Checklist.Items,
			GoLiveURL: "/regions/" + r.Slug + "/overview/" + pr.Tenant.Slug + "/go-live"}
		if of > 0 {
			v.Percent = done * 100 / of
		}
		for _, it := range pr.Checklist.Items {
			switch {
			case it.State == onboarding.StateUnavailable:
				v.WaitingFeature++
			case it.Required && it.State != onboarding.StateDone:
				v.OpenRequired++
			}
		}
		if pr.Tenant.Status == tenants.StatusActive {
			p.Live++
		}
		p.Practices = append(p.Practices, v)
	}
	return h.render(c, status, pageOverview, p)
}

// regionAllows asks the policy whether the actor may do perm in region r (or
// on the platform), to decide what the page offers; the route's own guard
// decides what is done.
func (h *handler) regionAllows(c *fiber.Ctx, r tenants.Region, perm httpx.Perm) bool {
	actor, _ := tenants.ActorFrom(httpx.Context(c))
	if h.Allowed == nil {
		return false
	}
	return h.Allowed(actor.UserID, "platform", perm.Object, perm.Action) ||
		h.Allowed(actor.UserID, "region:"+r.ID.String(), perm.Object, perm.Action)
}

// overview shows every practice of the region with its onboarding checklist.
func (h *handler) overview(c *fiber.Ctx) error {
	return h.renderOverview(c, fiber.StatusOK, "")
}

// goLive makes a practice of this region live once its checklist allows.
func (h *handler) goLive(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	t, err := h.Directory.Resolve(ctx, c.Params("practice"))
	if err != nil || t.ID == uuid.Nil {
		return fault.NotFound
	}
	if err := onboarding.GoLive(ctx, h.DB, actor.UserID, r.ID, t.ID, time.Now()); err != nil {
		if fe := fault.As(err); fe.Kind == fault.KindConflict {
			return h.renderOverview(c, fiber.StatusConflict, t.Name+": "+sentence(fe.Message))
		}
		return err
	}
	return redirect(c, "/regions/"+r.Slug+"/overview?done=live")
}
