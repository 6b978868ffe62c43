//! progenitor over the spec, with the generator settings the crate relies on, and the changes made to
//! what it emits: error answers are left to the crate, the `api-version` header is dropped, and the
//! answers' model builders are dropped (`builders.rs`).

use quote::ToTokens as _;
use serde_json::Value;

use crate::spec::{Spec, fail};

/// Schemas the client replaces with its own types.
const REPLACEMENTS: &[(&str, &str)] = &[
    // A PATCH field that can be left out, cleared or set.
    (
        "ClearableRedirectUris",
        "crate::Clearable<::std::vec::Vec<crate::oauth::RedirectUri>>",
    ),
    ("ClearableString", "crate::Clearable<::std::string::String>"),
    (
        "ClearableDescription",
        "crate::Clearable<::std::string::String>",
    ),
];

pub fn generate(spec: &Spec) -> syn::File {
    let mut settings = progenitor_impl::GenerationSettings::new();
    settings
        .with_interface(progenitor_impl::InterfaceStyle::Builder)
        .with_tag(progenitor_impl::TagStyle::Merged)
        .with_hooks(progenitor_impl::HooksMode::Expected)
        .with_inner_type(quote_type("crate::hooks::ClientState"))
        .with_derive("PartialEq");
    // Every secret-carrying schema (`format: password`) becomes `crate::Secret`.
    for schema in secret_schemas(&spec.doc) {
        let schema: schemars::schema::SchemaObject = serde_json::from_value(schema.clone())
            .unwrap_or_else(|e| fail(&format!("secret schema {schema} is not a JSON schema: {e}")));
        settings.with_conversion(schema, "crate::Secret", std::iter::empty());
    }
    for (name, rust_type) in REPLACEMENTS {
        settings.with_replacement(name, rust_type, std::iter::empty());
    }
    let text_impls = || {
        [
            progenitor_impl::TypeImpl::FromStr,
            progenitor_impl::TypeImpl::Display,
        ]
        .into_iter()
    };
    // Ids are checked by a hand-written type (range included) that decodes without a regex.
    settings.with_replacement("Snowflake", "crate::Snowflake", text_impls());
    // Ids that say what they name: the same check, a type per kind.
    for (schema, rust_type) in [
        ("ApplicationId", "crate::ApplicationId"),
        ("ClientId", "crate::ClientId"),
        ("UserId", "crate::UserId"),
        ("GuildId", "crate::GuildId"),
    ] {
        settings.with_replacement(schema, rust_type, text_impls());
    }
    // Redirect URIs in request bodies are checked when they are made, by the one URL policy.
    settings.with_replacement("RedirectUri", "crate::oauth::RedirectUri", text_impls());

    let api: openapiv3::OpenAPI = serde_json::from_value(without_error_answers(&spec.doc))
        .unwrap_or_else(|e| fail(&format!("it is not an OpenAPI 3.0 document: {e}")));
    let mut generator = progenitor_impl::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&api)
        .unwrap_or_else(|e| fail(&format!("progenitor refused it: {e}")));
    let mut file: syn::File = syn::parse2(tokens).unwrap_or_else(|e| {
        fail(&format!(
            "progenitor produced code that does not parse: {e}"
        ))
    });
    drop_api_version(&mut file);
    crate::builders::drop_unused(&mut file);
    file
}

fn quote_type(path: &str) -> proc_macro2::TokenStream {
    path.parse().expect("a valid type path")
}

/// The spec without its error answers, for progenitor only. Every non-2xx answer then reaches the
/// crate whole (`UnexpectedResponse`: status, headers and body), and the crate builds one typed
/// error from it, whatever shape the server used. The spec keeps documenting the errors.
fn without_error_answers(doc: &Value) -> Value {
    let mut doc = doc.clone();
    for item in doc["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|p| p.values_mut())
    {
        for op in item
            .as_object_mut()
            .into_iter()
            .flat_map(|i| i.values_mut())
        {
            if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                responses.retain(|status, _| status.starts_with('2'));
            }
        }
    }
    doc
}

/// progenitor 0.15 always appends an `api-version` header, which the server never reads: each send
/// loses that statement here instead of the hooks removing the header from every request.
fn drop_api_version(file: &mut syn::File) {
    let mut dropped = 0;
    for item in &mut file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.ident != "builder" {
            continue;
        }
        for item in module
            .content
            .iter_mut()
            .flat_map(|(_, items)| items.iter_mut())
        {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            for member in &mut block.items {
                let syn::ImplItem::Fn(function) = member else {
                    continue;
                };
                let before = function.block.stmts.len();
                function.block.stmts.retain(|stmt| {
                    !stmt
                        .to_token_stream()
                        .to_string()
                        .contains("\"api-version\"")
                });
                dropped += before - function.block.stmts.len();
            }
        }
    }
    if dropped == 0 {
        fail("no `api-version` header statement was found to drop; progenitor's output changed");
    }
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
