//! Extractors whose rejections are problem documents instead of axum's plain text.

use super::error::AppError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// A JSON body.
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => {
                objects_only(&v)?;
                serde_json::from_value(v)
                    .map(Json)
                    .map_err(|e| AppError::BadRequest(e.to_string()))
            }
            Err(JsonRejection::MissingJsonContentType(_)) => Err(AppError::UnsupportedMediaType),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(AppError::BadRequest(format!(
                "malformed JSON: {}",
                e.body_text()
            ))),
            Err(JsonRejection::JsonDataError(e)) => Err(AppError::BadRequest(e.body_text())),
            Err(JsonRejection::BytesRejection(e))
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(AppError::PayloadTooLarge)
            }
            Err(e) => Err(AppError::BadRequest(e.body_text())),
        }
    }
}

/// Every body of the API is a JSON object whose lists hold values or
/// objects, never lists: serde would read a struct from an array of its
/// fields in order as readily as from an object, which no description allows.
fn objects_only(v: &serde_json::Value) -> Result<(), AppError> {
    use serde_json::Value;
    let Value::Object(map) = v else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    for (key, value) in map {
        if let Value::Array(items) = value
            && items.iter().any(Value::is_array)
        {
            return Err(AppError::BadRequest(format!(
                "{key} must not hold lists within lists"
            )));
        }
    }
    Ok(())
}

/// Path parameters.
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|e: PathRejection| match e {
                // A path segment that cannot be an id names nothing that exists.
                PathRejection::FailedToDeserializePathParams(_) => AppError::NotFound,
                other => AppError::BadRequest(other.body_text()),
            })
    }
}

/// Query string parameters.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|e: QueryRejection| AppError::BadRequest(e.body_text()))
    }
}

/// Whole numbers in JSON bodies: `2026` and `2026.0` are the same number to
/// JSON (and JSON Schema's `integer`), though serde reads only the first
/// into an integer type.
pub mod whole {
    use serde::de::{Deserialize, Deserializer, Error};
    use serde_json::Number;

    fn to_int<T: TryFrom<i64>, E: Error>(n: &Number) -> Result<T, E> {
        let v = match (n.as_i64(), n.as_f64()) {
            (Some(v), _) => Some(v),
            (None, Some(f)) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
                Some(f as i64)
            }
            _ => None,
        };
        v.and_then(|v| T::try_from(v).ok())
            .ok_or_else(|| E::custom(format!("{n} is not a whole number in range")))
    }

    /// For `Option<integer>` fields (null or absent is `None`).
    pub fn option<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<Option<T>, D::Error> {
        Option::<Number>::deserialize(d)?
            .map(|n| to_int(&n))
            .transpose()
    }

    /// For `Vec<integer>` fields.
    pub fn vec<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<Vec<T>, D::Error> {
        Vec::<Number>::deserialize(d)?.iter().map(to_int).collect()
    }

    /// For `Option<Vec<integer>>` fields.
    pub fn option_vec<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
        d: D,
    ) -> Result<Option<Vec<T>>, D::Error> {
        Option::<Vec<Number>>::deserialize(d)?
            .map(|v| v.iter().map(to_int).collect())
            .transpose()
    }
}

/// A query parameter naming a vocabulary term (code or Chinese label);
/// an unknown one answers 422 naming the parameter.
pub fn term<V: qiao_core::vocab::Vocabulary>(
    field: &str,
    value: Option<&str>,
) -> Result<Option<V>, AppError> {
    match value {
        None => Ok(None),
        Some(v) => V::parse(v)
            .map(Some)
            .ok_or_else(|| qiao_app::Error::field(field, format!("unknown {}", V::NAME)).into()),
    }
}

/// A plan or calendar year, 2000–2100; another answers 422 naming `year`.
pub fn plan_year(year: i32) -> Result<i32, AppError> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(qiao_app::Error::field("year", "must be 2000–2100").into())
    }
}
