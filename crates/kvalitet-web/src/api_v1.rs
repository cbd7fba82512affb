//! The JSON API of the comparison numbers, `/api/v1/`: municipalities, measures, a
//! comparison (every municipality's value, rank, colour and trend, and the summary), and a
//! municipality's report over a measure set. Described by `/api/v1/openapi.json`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use kvalitet_app::Store;
use kvalitet_app::report::{self, Population, ReportError};
use kvalitet_domain::{Gender, Year};

use crate::cache::{Page, Stale};
use crate::{AppState, WebError, query_pairs};

/// The OpenAPI document, kept beside the code it describes.
const OPENAPI: &str = include_str!("../openapi.json");

struct ApiError(WebError);

impl From<WebError> for ApiError {
    fn from(e: WebError) -> Self {
        Self(e)
    }
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        Self(e.into())
    }
}

impl From<kvalitet_app::refusal::Refusal> for ApiError {
    fn from(e: kvalitet_app::refusal::Refusal) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_answer(self.0.status, &json!({ "error": self.0.message }))
    }
}

fn json_answer(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [
                (header::CONTENT_TYPE, "application/json; charset=utf-8"),
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => WebError::internal(e).into_api(),
    }
}

impl WebError {
    fn into_api(self) -> Response {
        ApiError(self).into_response()
    }
}

/// The API's query parameters, by their English names; unknown names are refused so a typo
/// does not silently give the default.
struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Self, ApiError> {
        let pairs = query_pairs(raw);
        if let Some((k, _)) = pairs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            return Err(WebError::bad_request(format!(
                "unknown parameter {k:?}; this route takes {}",
                allowed.join(", ")
            ))
            .into());
        }
        Ok(Self { pairs })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn year(&self) -> Result<Option<Year>, ApiError> {
        self.get("year")
            .map(|y| {
                Year::parse(y).map_err(|_| {
                    WebError::bad_request(format!("year={y}: not a year between 1950 and 2100"))
                        .into()
                })
            })
            .transpose()
    }

    fn gender(&self) -> Result<Gender, ApiError> {
        Ok(self
            .get("gender")
            .map(|g| {
                Gender::parse(g).map_err(|_| {
                    ApiError::from(WebError::bad_request(format!("gender={g}: use T, K or M")))
                })
            })
            .transpose()?
            .unwrap_or(Gender::Total))
    }

    fn municipality(&self) -> Result<Option<kvalitet_domain::MunicipalityId>, ApiError> {
        self.get("municipality")
            .map(|m| {
                kvalitet_domain::MunicipalityId::parse(m).map_err(|_| {
                    ApiError::from(WebError::bad_request(format!(
                        "municipality={m}: use a four-digit municipality id"
                    )))
                })
            })
            .transpose()
    }

    fn population(&self) -> Result<Population, ApiError> {
        Ok(self
            .get("population")
            .map(Population::parse)
            .transpose()?
            .unwrap_or(Population::All))
    }
}

/// Serves an answer from the cache of the current data version, or computes and keeps it
/// (once per version however many ask).
async fn cached<S, Fut>(state: &AppState<S>, key: String, make: Fut) -> Response
where
    S: Store,
    Fut: std::future::Future<Output = Result<Value, ApiError>>,
{
    let version = match state.data_version().await {
        Ok(v) => v,
        Err(e) => return WebError::internal(e).into_api(),
    };
    let key = format!("api|{key}");
    let answer = state
        .pages
        .get_or_make(version, &key, Stale::Served, || async {
            let value = make.await.map_err(IntoResponse::into_response)?;
            let bytes = serde_json::to_vec(&value).map_err(|e| WebError::internal(e).into_api())?;
            Ok::<_, Response>(Page::compressed(bytes))
        })
        .await;
    match answer {
        Ok(page) => page.into_response(bytes_answer),
        Err(response) => response,
    }
}

fn bytes_answer(body: bytes::Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// `GET /api/v1`: the routes of the API, so a visitor who tries the root finds them.
pub async fn index() -> Response {
    json_answer(
        StatusCode::OK,
        &json!({
            "api": "kvalitet /api/v1",
            "openapi": "/api/v1/openapi.json",
            "documentation": "/oppna-data",
            "routes": [
                {"path": "/api/v1/municipalities", "about": "municipalities, counties and groups"},
                {"path": "/api/v1/measures", "about": "measures with their question, unit and direction"},
                {"path": "/api/v1/compare?measure=ID&year=YEAR", "about": "every municipality's value, colour and rank"},
                {"path": "/api/v1/municipalities/{id}/report", "about": "a municipality's measure set as on its page"},
                {"path": "/api/v1/assessments", "about": "published assessment results"},
                {"path": "/api/v1/service", "about": "published service measurements"},
                {"path": "/api/v1/goals?municipality=ID", "about": "a municipality's published goals with every signal of their indicators; &period=CODE for a closed period's snapshot"},
            ],
            "source": "Källa: Kolada (for Kolada's measures); own and published results name their source",
        }),
    )
}

pub async fn openapi() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        OPENAPI,
    )
        .into_response()
}

pub async fn municipalities<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let key = raw.clone().unwrap_or_default();
    let make = async {
        Query::parse(raw.as_deref(), &[])?;
        let (_, d) = state.directory().await?;
        let list: Vec<Value> = d
            .kommuner
            .iter()
            .map(|m| {
                json!({
                    "id": m.id.as_str(),
                    "name": m.title,
                    "county": m.county_code,
                    "neighbours": d.neighbours.get(&m.id).map(|n| n.iter().map(|x| x.as_str().to_owned()).collect::<Vec<_>>()).unwrap_or_default(),
                    "groups": d.groups_of(&m.id).iter().map(|g| json!({"id": g.id.as_str(), "title": g.title, "kind": g.kind.code()})).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok::<_, ApiError>(json!({ "count": list.len(), "municipalities": list }))
    };
    cached(&state, format!("municipalities?{key}"), make).await
}

pub async fn measures<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let key = raw.clone().unwrap_or_default();
    let make = async {
        let q = Query::parse(raw.as_deref(), &["set"])?;
        let (_, d) = state.directory().await?;
        let presentation = |m: &kvalitet_domain::Measure| {
            let p = d.presentation(m);
            json!({
                "id": m.id.as_str(),
                "title": m.title,
                "question": p.question,
                "question_en": p.question_en,
                "unit": p.unit,
                "direction": p.direction.code(),
                "decimals": p.decimals,
                "divided_by_gender": p.divided_by_gender,
                "source_kind": m.source_kind.code(),
            })
        };
        let list: Vec<Value> = match q.get("set") {
            Some(id) => {
                let set = d.set(Some(id))?;
                set.measures()
                    .filter_map(|(area, item)| {
                        let mut v = presentation(d.measures.get(&item.measure)?);
                        v["area"] = json!(area.title);
                        v["question"] = json!(item.question);
                        Some(v)
                    })
                    .collect()
            }
            None => {
                let mut all: Vec<&kvalitet_domain::Measure> = d.measures.values().collect();
                all.sort_by_key(|m| m.id);
                all.into_iter().map(presentation).collect()
            }
        };
        Ok::<_, ApiError>(json!({
            "count": list.len(),
            "sets": d.sets,
            "measures": list,
        }))
    };
    cached(&state, format!("measures?{key}"), make).await
}

pub async fn compare<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let key = raw.clone().unwrap_or_default();
    let make = async {
        let q = Query::parse(
            raw.as_deref(),
            &["measure", "year", "gender", "population", "set"],
        )?;
        let kpi = q
            .get("measure")
            .ok_or_else(|| WebError::bad_request("measure is required, e.g. measure=N15428"))?;
        let (version, d) = state.directory().await?;
        let measure = d.measure(kpi)?;
        let p = d.presentation(measure);
        let set = match q.get("set") {
            Some(s) => Some(d.set(Some(s))?),
            None => d.set(None).ok(),
        };
        let population = q.population()?;
        let members = d.population(&population, set)?;
        let gender = q.gender()?;
        let series = state
            .series(version, measure.id, gender)
            .await
            .map_err(WebError::internal)?;
        let year = match q.year()? {
            Some(y) => y,
            None => series.latest_year(&members, None).ok_or_else(|| {
                WebError::with(
                    StatusCode::NOT_FOUND,
                    format!("{kpi} has no values for this population"),
                )
            })?,
        };
        let c = report::compare_year(&d, &series, &p, &members, year);
        let results: Vec<Value> = c
            .rows
            .iter()
            .map(|r| {
                json!({
                    "municipality": r.municipality.as_str(),
                    "name": r.name,
                    "value": r.value,
                    "status": r.status.map(|s| s.code()),
                    "count": series.count(&r.municipality, year),
                    "rank": r.placement.rank,
                    "rank_shared": r.placement.shared,
                    "colour": r.placement.colour.code(),
                    "previous": r.previous,
                    "trend": r.trend.code(),
                })
            })
            .collect();
        Ok::<_, ApiError>(json!({
            "measure": {"id": measure.id.as_str(), "title": measure.title, "question": p.question, "unit": p.unit, "direction": p.direction.code(), "decimals": p.decimals},
            "year": year.get(),
            "gender": gender.code(),
            "population": {"code": population.code(), "name": d.population_name(&population, set), "size": members.len()},
            "summary": {
                "n": c.summary.n,
                "mean": c.summary.mean,
                "median": c.summary.median,
                "q1": c.summary.q1,
                "q3": c.summary.q3,
                "min": c.summary.min,
                "max": c.summary.max,
                "worst": c.summary.worst,
                "best": c.summary.best,
                "coloured": c.summary.coloured,
            },
            "riket": c.riket,
            "results": results,
        }))
    };
    cached(&state, format!("compare?{key}"), make).await
}

pub async fn report<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let key = raw.clone().unwrap_or_default();
    let make = async {
        let q = Query::parse(raw.as_deref(), &["set", "year", "gender", "population"])?;
        let (version, d) = state.directory().await?;
        let m = d.kommun(&id)?.id;
        let set = d.set(q.get("set"))?;
        let gender = q.gender()?;
        let population = q
            .get("population")
            .map(Population::parse)
            .transpose()?
            .unwrap_or(Population::Set);
        let r =
            report::municipality_report(&d, set, &m, gender, &population, q.year()?, |measure| {
                state.series(version, measure, gender)
            })
            .await?;
        let areas: Vec<Value> = r
            .areas
            .iter()
            .map(|a| {
                json!({
                    "title": a.title,
                    "measures": a.cards.iter().map(|c| {
                        let own = c.own(&m);
                        json!({
                            "id": c.presentation.measure.as_str(),
                            "question": c.question,
                            "unit": c.presentation.unit,
                            "direction": c.presentation.direction.code(),
                            "year": c.comparison.as_ref().map(|x| x.year.get()),
                            "value": own.and_then(|o| o.value),
                            "status": own.and_then(|o| o.status).map(|s| s.code()),
                            "rank": own.and_then(|o| o.placement.rank),
                            "colour": own.map(|o| o.placement.colour.code()),
                            "trend": own.map(|o| o.trend.code()),
                            "previous": own.and_then(|o| o.previous),
                            "summary": c.comparison.as_ref().map(|x| json!({"n": x.summary.n, "mean": x.summary.mean, "worst": x.summary.worst, "best": x.summary.best, "median": x.summary.median})),
                            "riket": c.comparison.as_ref().and_then(|x| x.riket),
                        })
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok::<_, ApiError>(json!({
            "municipality": {"id": m.as_str(), "name": r.municipality.title},
            "set": {"id": r.set_id, "title": r.set_title},
            "gender": gender.code(),
            "population": {"code": r.population, "name": r.population_name, "size": r.population_size},
            "colours": r.colours,
            "colours_previous_year": r.colours_before,
            "areas": areas,
        }))
    };
    cached(&state, format!("report/{id}?{key}"), make).await
}

/// `GET /api/v1/assessments`: published assessment results with their area scores.
pub async fn assessments<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let key = raw.clone().unwrap_or_default();
    let make = async {
        let q = Query::parse(raw.as_deref(), &["municipality", "framework", "version"])?;
        let municipality = q.municipality()?;
        let results = kvalitet_app::assessments::published(
            &state.store,
            municipality,
            q.get("framework"),
            q.get("version"),
        )
        .await
        .map_err(WebError::internal)?;
        Ok::<_, ApiError>(json!({ "count": results.len(), "results": results }))
    };
    cached(&state, format!("assessments?{key}"), make).await
}

/// `GET /api/v1/service`: the figures of published service measurement rounds, each with
/// the tests behind it, its 95 % interval and whether it is reliable.
pub async fn service<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let key = raw.clone().unwrap_or_default();
    let make = async {
        let q = Query::parse(raw.as_deref(), &["municipality", "year"])?;
        let municipality = q.municipality()?;
        let year = q.year()?;
        let mut rounds = Vec::new();
        for (r, results) in kvalitet_app::service::published_results(&state.store, year)
            .await
            .map_err(WebError::from)?
        {
            let municipalities: Vec<Value> = results
                .municipalities
                .iter()
                .filter(|m| municipality.is_none_or(|x| x == m.municipality))
                .map(|m| {
                    json!({
                        "municipality": m.municipality.as_str(),
                        "emails": m.emails,
                        "calls": m.calls,
                        "figures": m.figures.iter().map(|(k, f)| json!({
                            "measure": k.measure().0, "title": k.measure().1,
                            "value": f.value, "n": f.n, "low": f.low, "high": f.high,
                            "unreliable": f.unreliable,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            if municipalities.is_empty() {
                continue;
            }
            rounds.push(json!({
                "round": r.id, "title": r.title, "year": r.year.get(),
                "organiser": r.organiser.map(|m| m.as_str().to_owned()),
                "min_tests": r.min_tests, "partly_counts": r.partly_counts,
                "municipalities": municipalities,
            }));
        }
        Ok::<_, ApiError>(json!({ "count": rounds.len(), "rounds": rounds }))
    };
    cached(&state, format!("service?{key}"), make).await
}

/// `GET /api/v1/goals?municipality=ID[&year=YEAR | &period=CODE]`: a municipality's
/// published goal plan followed up in a year (default: the latest with a value), each goal
/// with its official and suggested status, each indicator with its four signals, never merged
/// into one; or a closed period's frozen snapshot with the values revised since beside it.
pub async fn goals<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let key = raw.clone().unwrap_or_default();
    let make = async {
        let q = Query::parse(raw.as_deref(), &["municipality", "year", "period"])?;
        let m = q.municipality()?.ok_or_else(|| {
            ApiError::from(WebError::bad_request(
                "municipality is required, e.g. municipality=0180",
            ))
        })?;
        let year = q.year()?.map(|y| i32::from(y.get()));
        let (_, d) = state.directory().await?;
        d.kommun(m.as_str())?;
        if let Some(code) = q.get("period") {
            if year.is_some() {
                return Err(WebError::bad_request("give year or period, not both").into());
            }
            let (_, frozen) = kvalitet_app::goals::period(&state.store, &m, code)
                .await?
                .ok_or_else(|| {
                    ApiError::from(WebError::not_found(format!(
                        "period={code}: no such closed period; see /api/v1/goals?municipality={m}"
                    )))
                })?;
            let now = crate::site::live_report(&state, &d, &m, Some(frozen.year)).await?;
            let revisions = now
                .map(|(_, now)| frozen.revisions(&now))
                .unwrap_or_default();
            let mut body = serde_json::to_value(&frozen).map_err(WebError::internal)?;
            body["revisions"] = serde_json::to_value(revisions).map_err(WebError::internal)?;
            return Ok(body);
        }
        let periods: Vec<Value> = kvalitet_app::goals::periods(&state.store, &m)
            .await?
            .into_iter()
            .map(|p| {
                json!({
                    "code": p.period.code, "kind": p.period.kind.code(), "title": p.period.title,
                    "year": p.period.year, "closes_on": p.period.closes_on,
                })
            })
            .collect();
        let Some((_, report)) = crate::site::live_report(&state, &d, &m, year).await? else {
            return Ok(json!({
                "municipality": m.as_str(), "name": d.name(&m), "published": null,
                "goals": [], "periods": periods,
            }));
        };
        let mut body = serde_json::to_value(&report).map_err(WebError::internal)?;
        body["periods"] = Value::Array(periods);
        Ok::<_, ApiError>(body)
    };
    cached(&state, format!("goals?{key}"), make).await
}

pub async fn not_found() -> Response {
    ApiError(WebError::with(
        StatusCode::NOT_FOUND,
        "no such route; see /api/v1/openapi.json",
    ))
    .into_response()
}
