//! Every route of the site in one place: the citizen site and the staff pages per language
//! (Swedish at `/`, English at `/en/`, each behind the layer that renders refusals as pages),
//! the static assets, `/api/v1`, `/v3` and the health check.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::routing::{MethodRouter, get, post};
use axum::{Extension, Router};

use kvalitet_app::Store;

use crate::extract::UploadLimit;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::{
    admin, api_v1, auth, award, budget, dialogues, goal_links, goals_admin, kolada_v3, panels,
    participation, proposal_files, proposals, rejections, rounds, service, site, surveys,
};

/// The widget's height report, and the listener for the pages that embed widgets.
const EMBED_JS: &str = include_str!("../templates/embed.js");
const EMBED_HOST_JS: &str = include_str!("../templates/embed-host.js");
/// The staff pages' one script: the warning before leaving unsaved changes.
const FORMS_JS: &str = include_str!("../templates/forms.js");

/// The site's style sheet (no inline styles, so the CSP can forbid them).
const SITE_CSS: &str = include_str!("../templates/site.css");

/// A route that takes file uploads of at most `limit` bytes: the body limit (the multipart
/// envelope around the file is small) and the limit the refusal names.
fn upload<S: Store>(
    route: MethodRouter<Arc<AppState<S>>>,
    limit: usize,
) -> MethodRouter<Arc<AppState<S>>> {
    route
        .layer::<_, std::convert::Infallible>(DefaultBodyLimit::max(limit + (64 << 10)))
        .layer::<_, std::convert::Infallible>(Extension(UploadLimit(limit)))
}

/// The citizen site's routes for one language.
fn site_routes<S: Store>(state: &Arc<AppState<S>>, lang: Lang) -> Router<Arc<AppState<S>>> {
    let max_upload_bytes = state.max_upload_bytes;
    Router::new()
        .route("/", get(site::start::<S>))
        .route("/kommun/{id}", get(site::municipality::<S>))
        .route("/kommun/{id}/{file}", get(site::municipality_download::<S>))
        .route("/kommun/{id}/matt/{kpi}", get(site::measure::<S>))
        .route("/kommun/{id}/mal", get(site::goals::<S>))
        .route(
            "/kommun/{id}/mal/uppfoljning/{code}",
            get(site::goal_period::<S>),
        )
        .route(
            "/kommun/{id}/mal/uppfoljning/{code}/{file}",
            get(site::goal_period_download::<S>),
        )
        .route(
            "/kommun/{id}/matt/{kpi}/{file}",
            get(site::measure_download::<S>),
        )
        .route("/inbaddning/kommun/{id}/matt/{kpi}", get(site::embed::<S>))
        .route("/inbaddning/kommun/{id}/mal", get(site::goals_embed::<S>))
        .route(
            "/inbaddning/kommun/{id}/mal/{goal}",
            get(site::goal_embed::<S>),
        )
        .route("/jamfor", get(site::compare::<S>))
        .route("/jamfor/{file}", get(site::compare_download::<S>))
        .route("/om", get(site::about::<S>))
        .route("/tillganglighet", get(site::accessibility::<S>))
        .route("/oppna-data", get(site::open_data::<S>))
        .route("/ramverk", get(site::frameworks::<S>))
        .route("/kommun/{id}/rapport/{file}", get(site::yearly_report::<S>))
        .route("/kvalitetskommun", get(site::screening_page::<S>))
        .route(
            "/kvalitetskommun/underlag/{year}/{id}",
            get(award::dossier_page::<S>),
        )
        .route(
            "/kvalitetskommun/underlag/{year}/{id}/{file}",
            get(award::dossier_file::<S>),
        )
        .route(
            "/kvalitetskommun/jury/{year}",
            get(award::jury_published::<S>),
        )
        .route(
            "/kvalitetskommun/kommun/{id}",
            get(site::screening_kommun::<S>),
        )
        .route(
            "/kvalitetskommun/{file}",
            get(site::screening_download::<S>),
        )
        .route(
            "/logga-in",
            get(auth::login_page::<S>).post(auth::login::<S>),
        )
        .route("/logga-ut", post(auth::logout::<S>))
        .route("/att-gora", get(crate::todo::start::<S>))
        .route("/konto", get(auth::account::<S>))
        .route("/konto/losenord", post(auth::change_password::<S>))
        .route("/kommun/{id}/logg", get(auth::audit::<S>))
        .route("/admin/logg", get(auth::audit_all::<S>))
        .route("/admin/epost", get(crate::outbox::page::<S>))
        .route(
            "/admin/jobb",
            get(crate::jobs::page::<S>).post(crate::jobs::queue::<S>),
        )
        .route("/admin/kommun/{id}", get(admin::dashboard::<S>))
        .route(
            "/admin/kommun/{id}/kvalitetskommun/{year}",
            get(award::narratives_page::<S>).post(award::save_narrative::<S>),
        )
        .route("/admin/kvalitetskommun/{year}", get(award::jury_page::<S>))
        .route(
            "/admin/kvalitetskommun/{year}/{what}",
            post(award::jury_change::<S>),
        )
        .route("/admin/kommun/{id}/inbjudan", post(admin::invite::<S>))
        .route(
            "/admin/kommun/{id}/mal",
            get(goals_admin::overview::<S>).merge(upload(
                post(goals_admin::save_plan::<S>),
                kvalitet_app::goals::MAX_PLAN_BYTES,
            )),
        )
        .route(
            "/admin/kommun/{id}/mal/publicera",
            get(goals_admin::confirm_publish::<S>).post(goals_admin::publish::<S>),
        )
        .route(
            "/admin/kommun/{id}/mal/period",
            post(goals_admin::close_period::<S>),
        )
        .route("/admin/kommun/{id}/mal/{goal}", get(goals_admin::goal::<S>))
        .route(
            "/admin/kommun/{id}/malplan/nytt-mal",
            post(goals_admin::add_goal::<S>),
        )
        .route(
            "/admin/kommun/{id}/mal/{goal}/andra",
            post(goals_admin::save_goal::<S>),
        )
        .route(
            "/admin/kommun/{id}/mal/{goal}/indikator",
            post(goals_admin::save_indicator::<S>),
        )
        .route(
            "/admin/kommun/{id}/mal/{goal}/ta-bort",
            post(goals_admin::remove_goal::<S>),
        )
        .route(
            "/admin/kommun/{id}/mal/{goal}/status",
            post(goals_admin::set_status::<S>),
        )
        .route(
            "/admin/kommun/{id}/malplan/{file}",
            get(goals_admin::plan_file::<S>),
        )
        .route(
            "/inbjudan/{token}",
            get(auth::invitation_page::<S>).post(auth::accept_invitation::<S>),
        )
        .route("/admin/kommun/{id}/matt", post(admin::define_measure::<S>))
        .route("/admin/kommun/{id}/varde", post(admin::enter_value::<S>))
        .route(
            "/admin/kommun/{id}/fil",
            upload(post(admin::upload::<S>), max_upload_bytes),
        )
        .route(
            "/admin/kommun/{id}/fil/spara",
            post(admin::save_upload::<S>),
        )
        .route(
            "/admin/kommun/{id}/publicera",
            get(admin::confirm_publish::<S>).post(admin::publish::<S>),
        )
        .route("/admin/kommun/{id}/mall/{file}", get(admin::template::<S>))
        .route(
            "/admin/kommun/{id}/matt/avsluta",
            post(admin::retire_measure::<S>),
        )
        .route(
            "/admin/kommun/{id}/utkast/ta-bort",
            post(admin::remove_draft::<S>),
        )
        .route("/admin/kommun/{id}/kommentar", post(admin::comment::<S>))
        .route(
            "/admin/kommun/{id}/inledning",
            post(admin::introduction::<S>),
        )
        .route(
            "/admin/kommun/{id}/bedomningar",
            get(rounds::list::<S>).post(rounds::create::<S>),
        )
        .route("/admin/bedomning/{round}", get(rounds::work::<S>))
        .route(
            "/admin/bedomning/{round}/svar",
            upload(
                post(rounds::answers::<S>),
                kvalitet_app::assessments::MAX_DOCUMENT_BYTES,
            ),
        )
        .route(
            "/admin/bedomning/{round}/konsensus",
            post(rounds::consensus::<S>),
        )
        .route(
            "/admin/bedomning/{round}/bedomare",
            post(rounds::assessor::<S>),
        )
        .route("/admin/bedomning/{round}/steg", post(rounds::step::<S>))
        .route("/admin/bedomning/{round}/namn", post(rounds::rename::<S>))
        .route(
            "/admin/bedomning/{round}/sista-dag",
            post(rounds::deadline::<S>),
        )
        .route("/admin/bedomning/{round}/ratta", post(rounds::correct::<S>))
        .route(
            "/admin/bedomning/{round}/ta-bort",
            post(rounds::delete::<S>),
        )
        .route(
            "/admin/bedomning/{round}/publicera",
            get(rounds::confirm_publish::<S>),
        )
        .route("/admin/bedomning/{round}/enkat", post(rounds::survey::<S>))
        .route(
            "/admin/bedomning/{round}/mall/{file}",
            get(rounds::template::<S>),
        )
        .route("/admin/dokument/{id}", get(rounds::document::<S>))
        .route("/kommun/{id}/bedomning/{round}", get(rounds::report::<S>))
        .route(
            "/admin/ramverk",
            get(rounds::editor::<S>).post(rounds::save_framework::<S>),
        )
        .route(
            "/admin/service",
            get(service::list::<S>).post(service::create::<S>),
        )
        .route("/admin/service/{id}", get(service::round::<S>))
        .route(
            "/admin/service/{id}/kontakt",
            get(service::contact_form::<S>).post(service::register::<S>),
        )
        .route(
            "/admin/service/{id}/kontakt/{contact}",
            post(service::change_contact::<S>),
        )
        .route(
            "/admin/service/{id}/kontakt/{contact}/ta-bort",
            post(service::remove_contact::<S>),
        )
        .route(
            "/admin/service/{id}/publicera",
            get(service::confirm_publish::<S>).post(service::publish::<S>),
        )
        .route(
            "/admin/service/{id}/testare",
            post(service::invite_tester::<S>),
        )
        .route(
            "/admin/service/{id}/mall/{file}",
            get(service::template::<S>),
        )
        .route("/admin/service/{id}/{part}", post(service::setup::<S>))
        .route(
            "/admin/service/{id}/fil/{part}",
            upload(post(service::upload::<S>), max_upload_bytes),
        )
        .route("/servicematning/{id}", get(service::public::<S>))
        .route(
            "/admin/kommun/{id}/enkater",
            get(surveys::list::<S>).merge(upload(
                post(surveys::create::<S>),
                kvalitet_formats::questionnaire_file::MAX_QUESTIONNAIRE_BYTES,
            )),
        )
        .route(
            "/admin/kommun/{id}/enkater/{survey}",
            get(surveys::survey::<S>),
        )
        .route(
            "/admin/kommun/{id}/enkater/{survey}/fragor",
            post(surveys::save_questions::<S>),
        )
        .route(
            "/admin/kommun/{id}/enkater/{survey}/fraga",
            post(surveys::edit_question::<S>),
        )
        .route(
            "/admin/kommun/{id}/enkater/{survey}/status",
            post(surveys::set_status::<S>),
        )
        .route(
            "/admin/kommun/{id}/enkater/{survey}/lankar",
            upload(
                post(surveys::make_links::<S>),
                kvalitet_app::surveys::MAX_INVITATION_LIST_BYTES,
            ),
        )
        .route(
            "/admin/kommun/{id}/enkater/{survey}/lankar/{invitation}/ta-bort",
            post(surveys::delete_link::<S>),
        )
        .route(
            "/admin/kommun/{id}/enkater/{survey}/forhandsvisning",
            get(surveys::preview::<S>).post(surveys::preview_check::<S>),
        )
        .route(
            "/admin/kommun/{id}/enkater/{survey}/resultat",
            get(surveys::results::<S>),
        )
        .route(
            "/admin/kommun/{id}/enkater/{survey}/matt",
            post(surveys::result_as_measure::<S>),
        )
        .route(
            "/admin/kommun/{id}/enkater/{survey}/fil/{file}",
            get(surveys::download::<S>),
        )
        .route(
            "/admin/kommun/{id}/enkater/{survey}/vikta",
            post(surveys::weight::<S>),
        )
        .route(
            "/admin/kommun/{id}/paneler",
            get(panels::list::<S>).post(panels::create::<S>),
        )
        .route(
            "/admin/kommun/{id}/paneler/{panel}",
            get(panels::panel::<S>),
        )
        .route(
            "/admin/kommun/{id}/paneler/{panel}/medlemmar",
            upload(
                post(panels::add_members::<S>),
                kvalitet_app::panels::MAX_MEMBER_LIST_BYTES,
            ),
        )
        .route(
            "/admin/kommun/{id}/paneler/{panel}/befolkning",
            upload(
                post(panels::margins::<S>),
                kvalitet_app::panels::MAX_MARGINS_BYTES,
            ),
        )
        .route(
            "/admin/kommun/{id}/paneler/{panel}/omgang",
            post(panels::start_wave::<S>),
        )
        .route(
            "/admin/kommun/{id}/paneler/{panel}/medlem/{member}/lamnar",
            post(panels::leave::<S>),
        )
        .route(
            "/admin/kommun/{id}/paneler/{panel}/{file}",
            get(panels::report::<S>),
        )
        .route(
            "/admin/kommun/{id}/medborgarbudget",
            get(budget::list::<S>).post(budget::create::<S>),
        )
        .route(
            "/admin/kommun/{id}/medborgarbudget/fil",
            upload(
                post(budget::import::<S>),
                kvalitet_app::budget::MAX_PB_UPLOAD_BYTES,
            ),
        )
        .route(
            "/admin/kommun/{id}/medborgarbudget/{round}",
            get(budget::round::<S>),
        )
        .route(
            "/admin/kommun/{id}/medborgarbudget/{round}/projekt",
            post(budget::add_project::<S>),
        )
        .route(
            "/admin/kommun/{id}/medborgarbudget/{round}/projekt/{project}",
            post(budget::judge::<S>),
        )
        .route(
            "/admin/kommun/{id}/medborgarbudget/{round}/oppna",
            post(budget::open::<S>),
        )
        .route(
            "/admin/kommun/{id}/medborgarbudget/{round}/koder",
            post(budget::codes::<S>),
        )
        .route(
            "/admin/kommun/{id}/medborgarbudget/{round}/rakna",
            post(budget::count::<S>),
        )
        .route(
            "/admin/kommun/{id}/medborgarbudget/{round}/omgang.pb",
            get(budget::export::<S>),
        )
        .route(
            "/kommun/{id}/medborgarbudget/{code}",
            get(budget::public::<S>).post(budget::vote::<S>),
        )
        .route(
            "/kommun/{id}/medborgarbudget/{code}/omgang.pb",
            get(budget::public_export::<S>),
        )
        .route(
            "/admin/kommun/{id}/e-forslag",
            get(proposals::staff_list::<S>).post(proposals::save_settings::<S>),
        )
        .route(
            "/admin/kommun/{id}/e-forslag/{number}",
            get(proposals::staff_one::<S>),
        )
        .route(
            "/admin/kommun/{id}/e-forslag/{number}/granska",
            post(proposals::moderate::<S>),
        )
        .route(
            "/admin/kommun/{id}/e-forslag/{number}/beslut",
            post(proposals::decide::<S>),
        )
        .route(
            "/admin/kommun/{id}/e-forslag/{number}/mal",
            post(goal_links::link_proposal::<S>),
        )
        .route(
            "/admin/kommun/{id}/dialog/{number}/mal",
            post(goal_links::link_dialogue::<S>),
        )
        .route(
            "/admin/kommun/{id}/medborgarbudget/{round}/mal",
            post(goal_links::link_round::<S>),
        )
        .route(
            "/admin/kommun/{id}/delaktighet",
            get(participation::confirm::<S>).post(participation::publish::<S>),
        )
        .route("/kommun/{id}/e-forslag", get(proposals::public_list::<S>))
        .route("/kommun/{id}/e-forslag.csv", get(proposals::open_data::<S>))
        .route(
            "/kommun/{id}/e-forslag/nytt",
            upload(
                get(proposals::new_form::<S>).post(proposals::submit::<S>),
                kvalitet_formats::attachment::MAX_FILES
                    * kvalitet_formats::attachment::MAX_FILE_BYTES,
            ),
        )
        .route(
            "/kommun/{id}/e-forslag/karta.svg",
            get(proposal_files::map_svg::<S>),
        )
        .route(
            "/kommun/{id}/e-forslag/{number}/bilaga/{position}",
            get(proposal_files::public_file::<S>),
        )
        .route(
            "/admin/kommun/{id}/e-forslag/{number}/bilaga/{position}",
            get(proposal_files::staff_file::<S>),
        )
        .route(
            "/kommun/{id}/e-forslag/{number}",
            get(proposals::public_one::<S>).post(proposals::sign::<S>),
        )
        .route(
            "/kommun/{id}/e-forslag/bekrafta/{token}",
            get(proposals::confirm_page::<S>).post(proposals::confirm::<S>),
        )
        .route(
            "/admin/kommun/{id}/dialog",
            get(dialogues::staff_list::<S>).post(dialogues::create::<S>),
        )
        .route(
            "/admin/kommun/{id}/dialog/{number}",
            get(dialogues::staff_one::<S>),
        )
        .route(
            "/admin/kommun/{id}/dialog/{number}/pastaende/{statement}",
            post(dialogues::moderate::<S>),
        )
        .route(
            "/admin/kommun/{id}/dialog/{number}/svar",
            post(dialogues::respond::<S>),
        )
        .route("/kommun/{id}/dialog", get(dialogues::public_list::<S>))
        .route(
            "/kommun/{id}/dialog/{number}",
            get(dialogues::public_one::<S>).post(dialogues::join::<S>),
        )
        .route(
            "/kommun/{id}/dialog/{number}/pastaenden.csv",
            get(dialogues::statements_csv::<S>),
        )
        .route(
            "/kommun/{id}/dialog/{number}/roster.csv",
            get(dialogues::votes_csv::<S>),
        )
        .route(
            "/kommun/{id}/dialog/{number}/deltagare/{token}",
            get(dialogues::participant::<S>),
        )
        .route(
            "/kommun/{id}/dialog/{number}/deltagare/{token}/rosta",
            post(dialogues::vote::<S>),
        )
        .route(
            "/kommun/{id}/dialog/{number}/deltagare/{token}/skriv",
            post(dialogues::write::<S>),
        )
        .route(
            "/kommun/{id}/enkat/{code}",
            get(surveys::answer_open::<S>).post(surveys::submit_open::<S>),
        )
        .route(
            "/enkat/{token}",
            get(surveys::answer_personal::<S>).post(surveys::submit_personal::<S>),
        )
        .fallback(site::not_found)
        .layer(axum::middleware::from_fn_with_state(
            (state.clone(), lang),
            rejections::as_page::<S>,
        ))
        .layer(Extension(lang))
}

/// The application's routes.
pub fn router<S: Store>(state: Arc<AppState<S>>) -> Router {
    Router::new()
        .merge(site_routes::<S>(&state, Lang::Sv))
        .nest("/en", site_routes::<S>(&state, Lang::En))
        .route("/en/", get(site::start::<S>).layer(Extension(Lang::En)))
        .route(
            "/status",
            get(site::status::<S>).layer(axum::middleware::from_fn_with_state(
                (state.clone(), Lang::Sv),
                rejections::as_page::<S>,
            )),
        )
        .route(
            "/static/site.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    SITE_CSS,
                )
            }),
        )
        .route(
            "/static/embed.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    EMBED_JS,
                )
            }),
        )
        .route(
            "/static/forms.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    FORMS_JS,
                )
            }),
        )
        .route(
            "/static/embed-host.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                    ],
                    EMBED_HOST_JS,
                )
            }),
        )
        .route("/oembed", get(site::oembed::<S>))
        .route("/api/v1", get(api_v1::index))
        .route("/api/v1/", get(api_v1::index))
        .route("/api/v1/openapi.json", get(api_v1::openapi))
        .route("/api/v1/municipalities", get(api_v1::municipalities::<S>))
        .route("/api/v1/measures", get(api_v1::measures::<S>))
        .route("/api/v1/compare", get(api_v1::compare::<S>))
        .route("/api/v1/assessments", get(api_v1::assessments::<S>))
        .route("/api/v1/service", get(api_v1::service::<S>))
        .route("/api/v1/goals", get(api_v1::goals::<S>))
        .route(
            "/api/v1/municipalities/{id}/report",
            get(api_v1::report::<S>),
        )
        .route("/api/v1/{*rest}", get(api_v1::not_found))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(crate::metrics::serve::<S>))
        .route("/v3", get(kolada_v3::handle::<S>))
        .route("/v3/", get(kolada_v3::handle::<S>))
        .route("/v3/{*rest}", get(kolada_v3::handle::<S>))
        .layer(axum::middleware::from_fn(crate::gzip::serve_gzipped))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track::<S>,
        ))
        .with_state(state)
}
