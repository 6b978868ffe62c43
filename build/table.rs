//! `OPERATIONS` and `operation(id)`: what each operation accepts, read from its `security` and its
//! `x-fluxer-*` markers.

use std::fmt::Write as _;

use serde_json::Value;

use crate::spec::{Spec, fail};

/// The request body's fields that carry a secret (`format: password`, or any part of a sudo proof),
/// through `oneOf` alternatives: the client masks their values in the server's answer to it.
fn secret_fields(spec: &Spec, op: &crate::spec::Operation) -> Vec<String> {
    fn collect(spec: &Spec, name: &str, out: &mut Vec<String>, depth: usize) {
        let Some(schema) = spec.schema(name) else {
            return;
        };
        if depth > 4 {
            return;
        }
        for alternative in schema["oneOf"].as_array().into_iter().flatten() {
            if let Some(r) = alternative["$ref"].as_str() {
                collect(
                    spec,
                    r.trim_start_matches("#/components/schemas/"),
                    out,
                    depth + 1,
                );
            }
        }
        for (prop, value) in schema["properties"].as_object().into_iter().flatten() {
            let secret = value["format"].as_str() == Some("password")
                || crate::calls::SUDO_FIELDS.contains(&prop.as_str());
            if secret && !out.contains(prop) {
                out.push(prop.clone());
            }
        }
    }
    let mut out = Vec::new();
    if let Some(name) = op.body_schema() {
        collect(spec, name, &mut out, 0);
    }
    out
}

pub fn generate(spec: &Spec) -> String {
    let schemes = spec.doc["components"]["securitySchemes"]
        .as_object()
        .unwrap_or_else(|| fail("components.securitySchemes is missing"));
    let mut rows = String::new();
    let mut arms = String::new();
    for (index, op) in spec.operations.iter().enumerate() {
        let id = &op.id;
        let security = op
            .raw
            .get("security")
            .or_else(|| spec.doc.get("security"))
            .and_then(Value::as_array)
            .unwrap_or_else(|| fail(&format!("{id} declares no `security` (use [] for none)")));
        let mut kinds = Vec::new();
        let mut scopes = Vec::new();
        // `security: []`, or an empty requirement `{}` among others, lets the call go without one.
        let mut anonymous = security.is_empty();
        for requirement in security {
            let requirement = requirement.as_object().unwrap_or_else(|| {
                fail(&format!("{id}: a security requirement must be an object"))
            });
            anonymous |= requirement.is_empty();
            for (scheme, scope_list) in requirement {
                if !schemes.contains_key(scheme) {
                    fail(&format!("{id} names an unknown security scheme {scheme}"));
                }
                let kind = match scheme.as_str() {
                    "botToken" => "CredentialKind::Bot",
                    "oauth2Token" => "CredentialKind::Bearer",
                    "sessionToken" => "CredentialKind::Session",
                    "clientBasic" => "CredentialKind::Client",
                    other => fail(&format!("{id}: no credential kind for scheme {other}")),
                };
                kinds.push(kind);
                scopes.extend(
                    scope_list
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str),
                );
            }
        }
        let ok_status = op.raw["responses"]
            .as_object()
            .and_then(|r| r.keys().find(|s| s.starts_with('2')))
            .and_then(|s| s.parse::<u16>().ok())
            .unwrap_or_else(|| fail(&format!("{id} has no 2xx answer")));
        writeln!(
            rows,
            "    OperationSpec {{ id: {id:?}, method: {m:?}, path: {path:?}, accepts: &[{k}], \
             anonymous: {anonymous}, scopes: &{scopes:?}, sudo: {sudo}, single_use: {single}, \
             ok_status: {ok_status}, ends_session: {ends}, secret_fields: &{secret_fields:?} }},",
            m = op.method.to_uppercase(),
            path = op.path,
            k = kinds.join(", "),
            sudo = op.flag("x-fluxer-sudo"),
            single = op.flag("x-fluxer-single-use"),
            ends = op.flag("x-fluxer-ends-session"),
            secret_fields = secret_fields(spec, op),
        )
        .expect("writing to a String");
        writeln!(arms, "        {id:?} => Some(&OPERATIONS[{index}]),")
            .expect("writing to a String");
    }
    format!(
        "/// Every operation of the spec, with the credentials the server accepts on it.\n\
         pub static OPERATIONS: &[OperationSpec] = &[\n{rows}];\n\n\
         /// The table entry of an operation id: a `match`, not a search.\n\
         pub(crate) fn operation(id: &str) -> Option<&'static OperationSpec> {{\n    \
         match id {{\n{arms}        _ => None,\n    }}\n}}\n"
    )
}
