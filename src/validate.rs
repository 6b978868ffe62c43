//! Input checks done before anything is sent, with messages that say what is expected.

use crate::{Error, Snowflake};

/// A Fluxer id, with the field named in the message.
pub(crate) fn snowflake(
    operation: &'static str,
    field: &str,
    value: &str,
) -> Result<Snowflake, Error> {
    Snowflake::parse(value).map_err(|e| {
        // Echo short values only: a long one may be a secret passed in the wrong argument.
        let got = if value.chars().count() <= 20 {
            format!("{value:?}")
        } else {
            format!("a {}-character value", value.chars().count())
        };
        Error::InvalidInput {
            operation,
            message: format!("`{field}` got {got}: {e}"),
        }
    })
}

/// Redirect URIs as the server accepts them: at most 10, each absolute, https unless it points at
/// this machine (localhost, `*.localhost`, an IP literal).
pub(crate) fn redirect_uris(operation: &'static str, uris: &[String]) -> Result<(), Error> {
    if uris.len() > 10 {
        return Err(Error::InvalidInput {
            operation,
            message: format!(
                "an application has at most 10 redirect URIs, {} were given",
                uris.len()
            ),
        });
    }
    for uri in uris {
        crate::oauth::authorize::RedirectUri::parse(uri).map_err(|e| Error::InvalidInput {
            operation,
            message: format!("redirect URI {uri:?}: {e}"),
        })?;
    }
    Ok(())
}

/// Application ids for a bulk call: 1 to 100 of them.
pub(crate) fn id_list(
    operation: &'static str,
    ids: &[String],
) -> Result<Vec<crate::Snowflake>, Error> {
    if ids.is_empty() || ids.len() > 100 {
        return Err(Error::InvalidInput {
            operation,
            message: format!(
                "between 1 and 100 application ids are needed, {} were given",
                ids.len()
            ),
        });
    }
    ids.iter()
        .map(|id| snowflake(operation, "application_ids", id))
        .collect()
}

/// Converts a generated builder (or a finished request type) into the request type, naming the problem.
pub(crate) fn body<B, T>(operation: &'static str, body: B) -> Result<T, Error>
where
    B: TryInto<T>,
    B::Error: std::fmt::Display,
{
    body.try_into().map_err(|e| Error::InvalidInput {
        operation,
        message: e.to_string(),
    })
}
