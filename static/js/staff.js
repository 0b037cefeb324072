// The staff pages' GOV.UK Frontend components (the menu on small screens, the error summary
// taking focus, notification banners). Progressive enhancement only: every page works without it.
// A browser that runs this module supports what GOV.UK Frontend needs.
import { initAll } from "../govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
