//! Pagination: EC2 `MaxResults`/`NextToken` and ELBv2 `PageSize`/`Marker`, over an already
//! filtered list. The token is the id of the first item of the next page, so it survives
//! deletions of other items between calls.

use crate::error::{ApiError, ApiResult};

/// Returns one page and the token for the next, if any. `max` is (min, max) allowed for the
/// page size; `None` for a page size returns everything (EC2's behaviour without MaxResults).
pub fn page<T>(
    items: Vec<T>,
    id: impl Fn(&T) -> &str,
    size: Option<i64>,
    token: Option<&str>,
    param: &str,
    bounds: (i64, i64),
) -> ApiResult<(Vec<T>, Option<String>)> {
    if let Some(n) = size
        && (n < bounds.0 || n > bounds.1)
    {
        return Err(ApiError::invalid(format!(
            "Value ( {n} ) for parameter {param} is invalid. Parameter must be between {} and {}.",
            bounds.0, bounds.1
        )));
    }
    let start = match token {
        None | Some("") => 0,
        Some(t) => items.iter().position(|x| id(x) == t).ok_or_else(|| ApiError::bad_next_token(t))?,
    };
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let next = match size {
        Some(n) if rest.len() > n as usize => {
            let tail = rest.split_off(n as usize);
            Some(id(&tail[0]).to_string())
        }
        _ => None,
    };
    Ok((rest, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_tokens() {
        let v: Vec<String> = (0..12).map(|i| format!("id{i}")).collect();
        let (p1, t) = page(v.clone(), |s| s, Some(5), None, "MaxResults", (5, 1000)).unwrap();
        assert_eq!(p1.len(), 5);
        let (p2, t2) = page(v.clone(), |s| s, Some(5), t.as_deref(), "MaxResults", (5, 1000)).unwrap();
        assert_eq!(p2[0], "id5");
        let (p3, t3) = page(v.clone(), |s| s, Some(5), t2.as_deref(), "MaxResults", (5, 1000)).unwrap();
        assert_eq!((p3.len(), t3), (2, None));
        assert!(page(v.clone(), |s| s, Some(4), None, "MaxResults", (5, 1000)).is_err());
        assert!(page(v, |s| s, Some(5), Some("bogus"), "MaxResults", (5, 1000)).is_err());
    }
}
