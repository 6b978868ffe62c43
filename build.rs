//! Generates the Fluxer client from `openapi/fluxer-oauth2.yaml` with progenitor, plus the table of
//! which credentials each operation accepts.
//!
//! Outputs, both in `$OUT_DIR` and included only from `src/generated.rs`:
//! - `codegen.rs`: progenitor's `Client` (builder interface) and `types`.
//! - `operations.rs`: `OPERATIONS`, one entry per operation: id, method, path, accepted credentials,
//!   required scopes, and the sudo / single-use markers the client acts on.

use std::{collections::BTreeSet, env, fmt::Write as _, fs, path::Path};

use serde_json::Value;

const SPEC: &str = "openapi/fluxer-oauth2.yaml";

/// Schemas the client replaces with its own types (a PATCH field that can be left out, cleared or set).
const REPLACEMENTS: &[(&str, &str)] = &[
    (
        "ClearableRedirectUris",
        "crate::Clearable<::std::vec::Vec<::std::string::String>>",
    ),
    ("ClearableString", "crate::Clearable<::std::string::String>"),
    (
        "ClearableDescription",
        "crate::Clearable<::std::string::String>",
    ),
];

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");

    let text = fs::read_to_string(SPEC).unwrap_or_else(|e| fail(&format!("cannot read it: {e}")));
    let doc: Value = serde_norway::from_str(&text)
        .unwrap_or_else(|e| fail(&format!("it is not valid YAML: {e}")));
    let spec: openapiv3::OpenAPI = serde_json::from_value(doc.clone())
        .unwrap_or_else(|e| fail(&format!("it is not an OpenAPI 3.0 document: {e}")));

    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    write(
        Path::new(&out_dir).join("codegen.rs"),
        &generate_client(&doc, &spec),
    );
    write(
        Path::new(&out_dir).join("operations.rs"),
        &operation_table(&doc),
    );
}

fn fail(why: &str) -> ! {
    panic!("\n\nfluxer-oauth2: the OpenAPI spec {SPEC} could not be used: {why}\n\n");
}

fn write(path: impl AsRef<Path>, contents: &str) {
    fs::write(path.as_ref(), contents)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.as_ref().display()));
}

fn generate_client(doc: &Value, spec: &openapiv3::OpenAPI) -> String {
    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_hooks(progenitor_impl::HooksMode::Expected)
        .with_inner_type(quote_type("crate::hooks::ClientState"))
        .with_derive("PartialEq");
    // Every secret-carrying schema (`format: password`) becomes `crate::Secret`.
    for schema in secret_schemas(doc) {
        let schema: schemars::schema::SchemaObject = serde_json::from_value(schema.clone())
            .unwrap_or_else(|e| fail(&format!("secret schema {schema} is not a JSON schema: {e}")));
        settings.with_conversion(schema, "crate::Secret", std::iter::empty());
    }
    for (name, rust_type) in REPLACEMENTS {
        settings.with_replacement(name, rust_type, std::iter::empty());
    }
    // Ids are checked by a hand-written type (range included) that decodes without a regex.
    settings.with_replacement(
        "Snowflake",
        "crate::Snowflake",
        [progenitor::TypeImpl::FromStr, progenitor::TypeImpl::Display].into_iter(),
    );

    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(spec)
        .unwrap_or_else(|e| fail(&format!("progenitor refused it: {e}")));
    let file: syn::File = syn::parse2(tokens).unwrap_or_else(|e| {
        fail(&format!(
            "progenitor produced code that does not parse: {e}"
        ))
    });
    prettyplease::unparse(&file)
}

fn quote_type(path: &str) -> proc_macro2::TokenStream {
    path.parse().expect("a valid type path")
}

/// Every distinct schema object in the document that is a string with `format: password`.
fn secret_schemas(doc: &Value) -> Vec<&Value> {
    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        match v {
            Value::Object(map) => {
                if map.get("format").and_then(Value::as_str) == Some("password") {
                    if !out.contains(&v) {
                        out.push(v);
                    }
                    return;
                }
                map.values().for_each(|child| walk(child, out));
            }
            Value::Array(items) => items.iter().for_each(|child| walk(child, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, &mut out);
    out
}

/// The Rust source of `OPERATIONS`, read from each operation's `security` and `x-fluxer-*` markers.
fn operation_table(doc: &Value) -> String {
    const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .unwrap_or_else(|| fail("components.securitySchemes is missing"));
    let mut ids = BTreeSet::new();
    let mut rows = String::new();
    let paths = doc["paths"]
        .as_object()
        .unwrap_or_else(|| fail("paths is missing"));
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| fail(&format!("{method} {path} has no operationId")));
            if !ids.insert(id.to_string()) {
                fail(&format!("operationId {id} appears twice"));
            }
            let security = op
                .get("security")
                .or_else(|| doc.get("security"))
                .and_then(Value::as_array)
                .unwrap_or_else(|| fail(&format!("{id} declares no `security` (use [] for none)")));
            let mut kinds = Vec::new();
            let mut scopes = Vec::new();
            for requirement in security {
                for (scheme, scope_list) in requirement.as_object().into_iter().flatten() {
                    if !schemes.contains_key(scheme) {
                        fail(&format!("{id} names an unknown security scheme {scheme}"));
                    }
                    let kind = match scheme.as_str() {
                        "botToken" => "CredentialKind::Bot",
                        "oauth2Token" => "CredentialKind::Bearer",
                        "sessionToken" => "CredentialKind::Session",
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
            let flag = |name: &str| op.get(name).and_then(Value::as_bool).unwrap_or(false);
            writeln!(
                rows,
                "    OperationSpec {{ id: {id:?}, method: {m:?}, path: {path:?}, accepts: &[{k}], \
                 scopes: &{scopes:?}, sudo: {sudo}, single_use: {single} }},",
                m = method.to_uppercase(),
                k = kinds.join(", "),
                sudo = flag("x-fluxer-sudo"),
                single = flag("x-fluxer-single-use"),
            )
            .expect("writing to a String");
        }
    }
    format!(
        "/// Every operation of the spec, with the credentials the server accepts on it.\n\
         pub static OPERATIONS: &[OperationSpec] = &[\n{rows}];\n"
    )
}
