//! Drops the model builders that no request uses. progenitor's builder interface makes typify emit
//! a builder (`types::builder::X`, `X::builder()` and two conversions) for every object schema, but
//! only the request bodies' builders are used: by the operations' `body`/`body_map` setters and by
//! callers who build a body. The answers' builders were more than half of the generated code, which
//! rustc checks again after every spec edit.

use std::collections::BTreeSet;

use quote::ToTokens as _;

use crate::spec::fail;

/// Removes from `types` the builders of the models that no operation builder takes.
pub fn drop_unused(file: &mut syn::File) {
    let used = used_by_operations(file);
    let Some(types) = module_items(&mut file.items, "types") else {
        fail("progenitor's output has no `types` module");
    };
    let Some(builders) = module_items(types, "builder") else {
        fail("progenitor's output has no `types::builder` module");
    };
    let unused: BTreeSet<String> = builders
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) if !used.contains(&s.ident.to_string()) => {
                Some(s.ident.to_string())
            }
            _ => None,
        })
        .collect();
    // In `types::builder`: the builder struct and every impl whose type is it, or converts into
    // the model (`impl TryFrom<X> for super::X`).
    builders.retain(|item| match item {
        syn::Item::Struct(s) => !unused.contains(&s.ident.to_string()),
        syn::Item::Impl(block) => last_ident(&block.self_ty).is_none_or(|id| !unused.contains(&id)),
        _ => true,
    });
    // In `types`: `impl X { pub fn builder() -> builder::X }`.
    types.retain(|item| match item {
        syn::Item::Impl(block) if block.trait_.is_none() && is_builder_fn_only(block) => {
            last_ident(&block.self_ty).is_none_or(|id| !unused.contains(&id))
        }
        _ => true,
    });
}

/// The names `X` that the operation builders (the top-level `builder` module) name as
/// `types::builder::X`.
fn used_by_operations(file: &syn::File) -> BTreeSet<String> {
    let Some(operations) = file.items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "builder" => Some(m),
        _ => None,
    }) else {
        fail("progenitor's output has no operation `builder` module");
    };
    let text = operations.to_token_stream().to_string();
    let mut used = BTreeSet::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("types :: builder :: ") {
        rest = &rest[at + "types :: builder :: ".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        used.insert(name);
    }
    if used.is_empty() {
        fail("no operation takes a model builder; progenitor's output changed");
    }
    used
}

fn module_items<'a>(items: &'a mut [syn::Item], name: &str) -> Option<&'a mut Vec<syn::Item>> {
    items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn is_builder_fn_only(block: &syn::ItemImpl) -> bool {
    matches!(block.items.as_slice(), [syn::ImplItem::Fn(f)] if f.sig.ident == "builder")
}
