//! The typed call of every operation: a builder per operation that forwards to progenitor's builder,
//! keeps the first input problem for `send` to report, checks the body against the spec's limits,
//! carries the sudo proof, and returns `crate::Response<T>` or `crate::Error`.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::spec::{Operation, Spec, fail};

/// The fields a sudo operation's body must have to carry a `SudoVerification`.
pub const SUDO_FIELDS: &[&str] = &[
    "password",
    "mfa_method",
    "mfa_code",
    "webauthn_response",
    "webauthn_challenge",
];

pub fn generate(spec: &Spec, file: &syn::File) -> String {
    let starters = client_methods(file);
    let builders = builder_impls(file);
    let mut out = TokenStream::new();
    for (index, op) in spec.operations.iter().enumerate() {
        let builder = starters
            .get(&op.id)
            .unwrap_or_else(|| fail(&format!("progenitor made no method for {}", op.id)));
        let methods = builders
            .get(builder)
            .unwrap_or_else(|| fail(&format!("progenitor made no builder {builder}")));
        out.extend(call(spec, op, index, builder, methods));
    }
    out.extend(proof_carriers(spec));
    let out = quote! {
        use crate::generated::types;
        #out
    };
    let file: syn::File = syn::parse2(out)
        .unwrap_or_else(|e| fail(&format!("the generated calls do not parse: {e}")));
    prettyplease::unparse(&file)
}

/// `CarriesProof` for the body of every sudo operation other than the bare proof (which the crate
/// implements): the proof's fields are copied into the body.
fn proof_carriers(spec: &Spec) -> TokenStream {
    let bodies: std::collections::BTreeSet<&str> = spec
        .operations
        .iter()
        .filter(|op| op.flag("x-fluxer-sudo"))
        .filter_map(|op| op.body_schema())
        .filter(|name| *name != "SudoVerificationSchema")
        .collect();
    let mut out = TokenStream::new();
    for name in bodies {
        let props = spec.schema(name).and_then(|s| s["properties"].as_object());
        for field in SUDO_FIELDS {
            if !props.is_some_and(|p| p.contains_key(*field)) {
                fail(&format!(
                    "{name} is the body of a sudo operation but has no `{field}`"
                ));
            }
        }
        let ty = format_ident!("{name}");
        let fields = SUDO_FIELDS.iter().map(|f| format_ident!("{f}"));
        out.extend(quote! {
            impl crate::sudo::CarriesProof for types::#ty {
                fn carry(&mut self, proof: &crate::SudoVerification) {
                    let fields = proof.fields();
                    #(self.#fields.clone_from(&fields.#fields);)*
                }
            }
        });
    }
    out
}

/// `Client::op_id(&self) -> builder::Name` for every operation: operation id -> builder name.
fn client_methods(file: &syn::File) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for item in &file.items {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        if block.trait_.is_some() || !is_type(&block.self_ty, "Client") {
            continue;
        }
        for member in &block.items {
            let syn::ImplItem::Fn(f) = member else {
                continue;
            };
            if let syn::ReturnType::Type(_, ty) = &f.sig.output
                && let Some(name) = last_segment(ty)
            {
                out.insert(f.sig.ident.to_string(), name);
            }
        }
    }
    out
}

/// The methods of every builder in the top-level `builder` module.
fn builder_impls(file: &syn::File) -> BTreeMap<String, Vec<syn::ImplItemFn>> {
    let mut out = BTreeMap::new();
    for item in &file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.ident != "builder" {
            continue;
        }
        for item in module.content.iter().flat_map(|(_, items)| items) {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            let Some(name) = last_segment(&block.self_ty) else {
                continue;
            };
            let fns = block.items.iter().filter_map(|m| match m {
                syn::ImplItem::Fn(f) => Some(f.clone()),
                _ => None,
            });
            out.entry(name).or_insert_with(Vec::new).extend(fns);
        }
    }
    out
}

fn is_type(ty: &syn::Type, name: &str) -> bool {
    last_segment(ty).is_some_and(|n| n == name)
}

fn last_segment(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `T` in a setter's `where V: std::convert::TryInto<T>`.
fn target_type(f: &syn::ImplItemFn) -> Option<syn::Type> {
    let clause = f.sig.generics.where_clause.as_ref()?;
    clause.predicates.iter().find_map(|p| {
        let syn::WherePredicate::Type(p) = p else {
            return None;
        };
        p.bounds.iter().find_map(|b| {
            let syn::TypeParamBound::Trait(t) = b else {
                return None;
            };
            let segment = t.path.segments.last()?;
            if segment.ident != "TryInto" {
                return None;
            }
            let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
                return None;
            };
            args.args.iter().find_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            })
        })
    })
}

/// `T` in `send(self) -> Result<ResponseValue<T>, Error<..>>`.
fn answer_type(f: &syn::ImplItemFn) -> syn::Type {
    let fail_here = || fail(&format!("cannot read the answer type of {}", f.sig.ident));
    let syn::ReturnType::Type(_, ty) = &f.sig.output else {
        fail_here()
    };
    let first_arg = |ty: &syn::Type| -> Option<syn::Type> {
        let syn::Type::Path(p) = ty else { return None };
        let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
            return None;
        };
        args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
    };
    first_arg(ty)
        .and_then(|value| first_arg(&value))
        .unwrap_or_else(|| fail_here())
}

/// Spec parameter descriptions, by the Rust name progenitor gives the setter.
fn parameter_docs(spec: &Spec, op: &Operation) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for param in op.raw["parameters"].as_array().into_iter().flatten() {
        let param = match param.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.trim_start_matches("#/components/parameters/");
                &spec.doc["components"]["parameters"][name]
            }
            None => param,
        };
        let Some(name) = param["name"].as_str() else {
            continue;
        };
        let rust = name.to_ascii_lowercase().replace('-', "_");
        let location = param["in"].as_str().unwrap_or("request");
        let text = param["description"]
            .as_str()
            .or_else(|| param["schema"]["description"].as_str())
            .unwrap_or("");
        out.insert(rust, format!("The `{name}` {location} parameter. {text}"));
    }
    out
}

fn credential_line(op: &Operation) -> String {
    let mut names = Vec::new();
    let mut anonymous = false;
    for requirement in op.raw["security"].as_array().into_iter().flatten() {
        let Some(requirement) = requirement.as_object() else {
            continue;
        };
        anonymous |= requirement.is_empty();
        for (scheme, scopes) in requirement {
            let name = match scheme.as_str() {
                "botToken" => "a bot token (`Credential::Bot`)".to_owned(),
                "sessionToken" => "a user session (`Credential::Session`)".to_owned(),
                "clientBasic" => {
                    "client credentials in HTTP Basic (`Credential::Client`)".to_owned()
                }
                "oauth2Token" => {
                    let scopes: Vec<_> = scopes
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(|s| format!("`{s}`"))
                        .collect();
                    if scopes.is_empty() {
                        "an OAuth2 access token (`Credential::Bearer`)".to_owned()
                    } else {
                        format!(
                            "an OAuth2 access token (`Credential::Bearer`) with scope {}",
                            scopes.join(", ")
                        )
                    }
                }
                other => other.to_owned(),
            };
            names.push(name);
        }
    }
    match (names.is_empty(), anonymous) {
        (true, _) => "Credential: none is sent; any client can call it.".to_owned(),
        (false, true) => format!(
            "Credential: {}, or none (a client holding another credential sends none).",
            names.join(" or ")
        ),
        (false, false) => format!("Credential: {}.", names.join(" or ")),
    }
}

fn call(
    spec: &Spec,
    op: &Operation,
    index: usize,
    builder: &str,
    methods: &[syn::ImplItemFn],
) -> TokenStream {
    let op_fn = format_ident!("{}", op.id);
    let name = format_ident!("{builder}");
    let sudo = op.flag("x-fluxer-sudo");
    let params = parameter_docs(spec, op);

    let mut setters = TokenStream::new();
    let mut body_type = None;
    let mut answer = None;
    for f in methods {
        let method = &f.sig.ident;
        match method.to_string().as_str() {
            "new" | "body_map" => {}
            "send" => answer = Some(answer_type(f)),
            "body" => {
                let ty = target_type(f)
                    .unwrap_or_else(|| fail(&format!("{}: cannot read the body type", op.id)));
                let schema = op.body_schema().unwrap_or("the request");
                let doc = format!(
                    "The request body (`{schema}`): the type itself or its builder, e.g. \
                     `{schema}::builder()`. It is checked against the spec's limits when the call \
                     is sent."
                );
                setters.extend(quote! {
                    #[doc = #doc]
                    pub fn body<V>(mut self, value: V) -> Self
                    where
                        V: ::std::convert::TryInto<#ty>,
                        <V as ::std::convert::TryInto<#ty>>::Error: ::std::fmt::Display,
                    {
                        match value.try_into() {
                            Ok(body) => self.body = Some(body),
                            Err(e) => self.refuse(format!("the body: {e}")),
                        }
                        self
                    }
                });
                body_type = Some(ty);
            }
            other => {
                let ty = target_type(f).unwrap_or_else(|| {
                    fail(&format!("{}: cannot read the type of `{other}`", op.id))
                });
                let doc = params
                    .get(other)
                    .cloned()
                    .unwrap_or_else(|| format!("Sets `{other}`."));
                let label = format!("`{other}`");
                setters.extend(quote! {
                    #[doc = #doc]
                    pub fn #method<V>(mut self, value: V) -> Self
                    where
                        V: ::std::convert::TryInto<#ty>,
                        <V as ::std::convert::TryInto<#ty>>::Error: ::std::fmt::Display,
                    {
                        match value.try_into() {
                            Ok(value) => self.inner = self.inner.#method(value),
                            Err(e) => self.refuse(format!("{}: {e}", #label)),
                        }
                        self
                    }
                });
            }
        }
    }
    let answer = answer.unwrap_or_else(|| fail(&format!("{}: no send method", op.id)));

    let (body_field, body_init, body_send) = match &body_type {
        Some(ty) => (
            quote! { body: ::std::option::Option<#ty>, },
            quote! { body: None, },
            quote! {
                if let Some(body) = body {
                    if let Err(message) = crate::validate::Check::check(&body) {
                        return Err(crate::call::invalid(op, message));
                    }
                    inner = inner.body(body);
                }
            },
        ),
        None => (quote! {}, quote! {}, quote! {}),
    };
    let (proof_field, proof_init, proof_setter, proof_apply) = if sudo {
        let ty = body_type
            .as_ref()
            .unwrap_or_else(|| fail(&format!("sudo operation {} has no body", op.id)));
        let schema_name = op.body_schema().unwrap_or_default();
        let defaultable = spec
            .schema(schema_name)
            .and_then(|s| s.get("required"))
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
        let without_body = if defaultable {
            quote! {{
                let mut body = <#ty as ::std::default::Default>::default();
                crate::sudo::CarriesProof::carry(&mut body, &proof);
                Some(body)
            }}
        } else {
            quote! {{
                let _ = proof;
                return Err(crate::call::invalid(
                    op,
                    "set the body before sending: the sudo proof goes into it".to_owned(),
                ));
            }}
        };
        (
            quote! { proof: ::std::option::Option<crate::SudoVerification>, },
            quote! { proof: None, },
            quote! {
                /// The sudo-mode proof (password, TOTP code or WebAuthn assertion). Leave it out
                /// first: within 5 minutes of an MFA verification the client still holds the
                /// server's sudo-mode token and the call goes through without one; otherwise the
                /// answer is [`crate::Error::SudoRequired`], which says which methods to offer.
                /// `None` sends no proof, as if `sudo` was not called.
                pub fn sudo<'p>(
                    mut self,
                    proof: impl ::std::convert::Into<::std::option::Option<&'p crate::SudoVerification>>,
                ) -> Self {
                    let Some(proof) = proof.into() else { return self };
                    match proof.validate() {
                        Ok(()) => self.proof = Some(proof.clone()),
                        Err(message) => self.refuse(message),
                    }
                    self
                }
            },
            quote! {
                let body = match (body, proof) {
                    (body, None) => body,
                    (Some(mut body), Some(proof)) => {
                        crate::sudo::CarriesProof::carry(&mut body, &proof);
                        Some(body)
                    }
                    (None, Some(proof)) => #without_body,
                };
            },
        )
    } else {
        (quote! {}, quote! {}, quote! {}, quote! {})
    };
    let destructure = match (body_type.is_some(), sudo) {
        (true, true) => quote! { let Self { client, mut inner, invalid, body, proof } = self; },
        (true, false) => quote! { let Self { client, mut inner, invalid, body } = self; },
        _ => quote! { let Self { client, inner, invalid } = self; },
    };

    let summary = op.text("summary").unwrap_or("");
    let description = op.text("description").unwrap_or("").trim();
    let method_doc = format!(
        "`{id}`: {summary}.\n\n{description}\n\n- `{method} {path}`\n- {credential}\n{sudo_line}\n\
         Set its inputs on the returned [`{builder}`](crate::calls::{builder}), then \
         `.send().await`. Inputs are checked when it is sent, before any traffic.",
        id = op.id,
        method = op.method.to_uppercase(),
        path = op.path,
        credential = credential_line(op),
        sudo_line = if sudo {
            "- Sudo mode: pass the proof with `.sudo(&proof)` when the server asks for it.\n"
        } else {
            ""
        },
    );
    let struct_doc = format!(
        "The call [`FluxerClient::{id}`](crate::FluxerClient::{id}): set its inputs, then \
         [`send`](Self::send) it.",
        id = op.id
    );
    let send_doc = format!(
        "Sends the call and decodes the answer.\n\n# Errors\n\n[`crate::Error`]: \
         [`InvalidInput`](crate::Error::InvalidInput) for an input refused before sending, \
         [`CredentialNotAccepted`](crate::Error::CredentialNotAccepted) when the client's \
         credential does not fit `{id}`, otherwise what the server or the transport said.",
        id = op.id
    );
    quote! {
        #[doc = #struct_doc]
        #[derive(Debug)]
        #[must_use = "a call does nothing until it is sent: `.send().await`"]
        pub struct #name<'a> {
            client: &'a crate::FluxerClient,
            inner: crate::generated::builder::#name<'a>,
            invalid: ::std::option::Option<::std::string::String>,
            #body_field
            #proof_field
        }

        impl<'a> #name<'a> {
            fn new(client: &'a crate::FluxerClient) -> Self {
                Self {
                    client,
                    inner: client.api.#op_fn(),
                    invalid: None,
                    #body_init
                    #proof_init
                }
            }

            /// Keeps the first input problem, for `send` to report.
            #[allow(dead_code)]
            fn refuse(&mut self, message: ::std::string::String) {
                self.invalid.get_or_insert(message);
            }

            #setters
            #proof_setter

            #[doc = #send_doc]
            pub async fn send(self) -> ::std::result::Result<crate::Response<#answer>, crate::Error> {
                let op = &crate::generated::OPERATIONS[#index];
                #destructure
                if let Some(message) = invalid {
                    return Err(crate::call::invalid(op, message));
                }
                #proof_apply
                #body_send
                crate::call::finish(client, op, inner.send().await).await
            }
        }

        impl crate::FluxerClient {
            #[doc = #method_doc]
            pub fn #op_fn(&self) -> #name<'_> {
                #name::new(self)
            }
        }
    }
}
