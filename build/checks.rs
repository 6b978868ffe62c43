//! `validate::Check` for every request body, from the limits the spec gives its fields: item counts
//! of arrays, lengths of secret strings and of the PATCH fields the crate replaces, and fields of
//! which at most one may be given (`x-fluxer-exclusive`). Limits on plain strings and named schemas
//! are already enforced by the generated types themselves.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::spec::{Spec, fail};

/// Replaced schemas whose limits the replacing type does not enforce by itself.
const CHECKED_REFS: &[&str] = &[
    "ClearableRedirectUris",
    "ClearableString",
    "ClearableDescription",
];

pub fn generate(spec: &Spec) -> String {
    let bodies: BTreeSet<&str> = spec
        .operations
        .iter()
        .filter_map(|op| op.body_schema())
        .collect();
    let mut out = TokenStream::new();
    for name in bodies {
        let schema = spec
            .schema(name)
            .unwrap_or_else(|| fail(&format!("request body schema {name} is missing")));
        let ty = format_ident!("{name}");
        let rules = rules(spec, name, schema);
        let check = if rules.is_empty() {
            quote! { Ok(()) }
        } else {
            quote! { #(#rules)* Ok(()) }
        };
        out.extend(quote! {
            impl crate::validate::Check for crate::generated::types::#ty {
                fn check(&self) -> ::std::result::Result<(), ::std::string::String> {
                    #check
                }
            }
        });
    }
    let file: syn::File = syn::parse2(out)
        .unwrap_or_else(|e| fail(&format!("the generated checks do not parse: {e}")));
    prettyplease::unparse(&file)
}

fn field_ident(name: &str) -> syn::Ident {
    match name {
        "type" | "ref" | "self" | "match" | "move" | "use" | "where" => format_ident!("{name}_"),
        _ => format_ident!("{name}"),
    }
}

fn limit(schema: &Value, key: &str) -> TokenStream {
    match schema.get(key).and_then(Value::as_u64) {
        Some(n) => {
            let n = n as usize;
            quote! { Some(#n) }
        }
        None => quote! { None },
    }
}

fn rules(spec: &Spec, name: &str, schema: &Value) -> Vec<TokenStream> {
    let mut rules = Vec::new();
    for (prop, prop_schema) in schema["properties"].as_object().into_iter().flatten() {
        let field = field_ident(prop);
        let constraints = match prop_schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let target = r.trim_start_matches("#/components/schemas/");
                if !CHECKED_REFS.contains(&target) {
                    continue;
                }
                spec.schema(target)
                    .unwrap_or_else(|| fail(&format!("{name}.{prop}: {r} is missing")))
            }
            None => prop_schema,
        };
        let is_array = constraints.get("type").and_then(Value::as_str) == Some("array");
        let is_text = constraints.get("format").and_then(Value::as_str) == Some("password")
            || prop_schema.get("$ref").is_some();
        if is_array
            && (constraints.get("minItems").is_some() || constraints.get("maxItems").is_some())
        {
            let (min, max) = (
                limit(constraints, "minItems"),
                limit(constraints, "maxItems"),
            );
            rules.push(quote! {
                crate::validate::items(#prop, &self.#field, #min, #max)?;
            });
        } else if !is_array
            && is_text
            && (constraints.get("minLength").is_some() || constraints.get("maxLength").is_some())
        {
            let (min, max) = (
                limit(constraints, "minLength"),
                limit(constraints, "maxLength"),
            );
            rules.push(quote! {
                crate::validate::chars(#prop, &self.#field, #min, #max)?;
            });
        }
    }
    if let Some(group) = schema.get("x-fluxer-exclusive").and_then(Value::as_array) {
        let names: Vec<&str> = group.iter().filter_map(Value::as_str).collect();
        if names.len() != group.len() || names.len() < 2 {
            fail(&format!(
                "{name}: x-fluxer-exclusive must list two or more field names"
            ));
        }
        let fields = names.iter().map(|n| field_ident(n));
        rules.push(quote! {
            crate::validate::exclusive(&[#((#names, self.#fields.is_some())),*])?;
        });
    }
    rules
}
