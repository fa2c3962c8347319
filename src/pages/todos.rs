//! `/todos`: the signed-in user's todo list, and the worked example of
//! `docs/server-functions.md`.
//!
//! The list is a Resource read from the `list_todos` server function, so the server renders
//! the page with the user's todos in it and hydration reuses them without a request. Every
//! change is an `<ActionForm>` over a server function: it works as a plain form before the
//! WASM has loaded, and once it has, the change shows at once and is rolled back, with a
//! message, if the server refuses it.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    auth::RequireAuth,
    components::load::LoadFailed,
    domain::Todo,
    error::AppError,
    fns::todos::{CreateTodo, DeleteTodo, UpdateTodo, list_todos},
};

#[component]
pub fn TodosPage() -> impl IntoView {
    view! {
        <Title text="Todos"/>
        <RequireAuth>
            <Todos/>
        </RequireAuth>
    }
}

#[component]
fn Todos() -> impl IntoView {
    let todos = Resource::new(|| (), |_| list_todos());
    view! {
        <section>
            <h1>"Todos"</h1>
            <Suspense fallback=|| view! { <TodoSkeleton/> }>
                {move || Suspend::new(async move {
                    match todos.await {
                        Ok(list) => view! { <TodoList initial=list/> }.into_any(),
                        Err(err) => view! {
                        <LoadFailed what="your todos" error=err retry=move || todos.refetch()/>
                    }
                    .into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The list as the server last confirmed it, plus the additions still on their way.
#[component]
fn TodoList(initial: Vec<Todo>) -> impl IntoView {
    let todos = RwSignal::new(initial);
    let error = RwSignal::new(None::<String>);
    let create = ServerMultiAction::<CreateTodo>::new();
    let form = NodeRef::<leptos::html::Form>::new();

    // Each addition, once answered: a saved todo joins the list; a refused one leaves the
    // pending rows by itself, and the message says why. Submissions only ever grow.
    let answered = StoredValue::new(Vec::<bool>::new());
    Effect::new(move |_| {
        let submissions = create.submissions().get();
        let known = answered.with_value(Vec::len);
        if submissions.len() > known {
            // A new addition is on its way: empty the field for the next one.
            error.set(None);
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
            answered.update_value(|seen| seen.resize(submissions.len(), false));
        }
        for (index, submission) in submissions.iter().enumerate() {
            if answered.with_value(|seen| seen[index]) {
                continue;
            }
            let Some(outcome) = submission.value().get() else {
                continue;
            };
            answered.update_value(|seen| seen[index] = true);
            match outcome {
                Ok(saved) => todos.update(|list| list.push(saved)),
                Err(err) => report(error, &err),
            }
        }
    });
    let pending = Memo::new(move |_| {
        create
            .submissions()
            .get()
            .into_iter()
            .enumerate()
            .filter(|(_, s)| s.pending().get())
            .filter_map(|(index, s)| Some((index, s.input().get()?.title.trim().to_owned())))
            .collect::<Vec<_>>()
    });
    let nothing = move || todos.with(Vec::is_empty) && pending.with(Vec::is_empty);

    view! {
        <p class="alert" role="alert" hidden=move || error.with(Option::is_none)>
            {move || error.get()}
        </p>
        <MultiActionForm action=create node_ref=form attr:class="todo-add">
            <label for="new-todo" class="sr-only">"New todo"</label>
            <input id="new-todo" name="title" placeholder="What needs doing?" maxlength="200" required/>
            <button class="primary" type="submit">"Add"</button>
        </MultiActionForm>
        <Show when=nothing>
            <p class="muted">"Nothing to do. Add your first todo above."</p>
        </Show>
        <ul class="todo-list">
            <For each=move || todos.with(|list| list.iter().map(|t| t.id).collect::<Vec<_>>()) key=|id| *id let:id>
                <TodoItem id todos error/>
            </For>
            <For
                each=move || pending.get()
                key=|(index, _)| *index
                children=|(_, title)| view! {
                    <li class="todo pending" aria-busy="true">
                        <span class="check" aria-hidden="true"></span>
                        <span class="todo-title">{title}</span>
                    </li>
                }
            />
        </ul>
    }
}

/// One todo. A change in flight shows as if made; a refusal puts the todo back as the server
/// has it.
#[component]
fn TodoItem(id: i64, todos: RwSignal<Vec<Todo>>, error: RwSignal<Option<String>>) -> impl IntoView {
    let update = ServerAction::<UpdateTodo>::new();
    let remove = ServerAction::<DeleteTodo>::new();
    let editing = RwSignal::new(false);

    let saved = Memo::new(move |_| todos.with(|list| list.iter().find(|t| t.id == id).cloned()));
    // What the row shows: the saved todo, with the change under way laid over it.
    let shown = Memo::new(move |_| {
        let mut todo = saved.get()?;
        if update.pending().get()
            && let Some(change) = update.input().get()
        {
            if let Some(title) = change.title {
                todo.title = title.trim().to_owned();
            }
            if let Some(done) = change.done {
                todo.done = done;
            }
        }
        Some(todo)
    });
    Effect::new(move |_| match update.value().get() {
        Some(Ok(todo)) => todos.update(|list| {
            if let Some(slot) = list.iter_mut().find(|t| t.id == id) {
                *slot = todo;
            }
        }),
        Some(Err(err)) => report(error, &err),
        None => {}
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(())) => todos.update(|list| list.retain(|t| t.id != id)),
        Some(Err(err)) => report(error, &err),
        None => {}
    });
    // A rename sent closes its form.
    Effect::new(move |_| {
        if update.pending().get() {
            editing.set(false);
        }
    });

    let title = move || shown.with(|t| t.as_ref().map(|t| t.title.clone()).unwrap_or_default());
    let done = move || shown.with(|t| t.as_ref().is_some_and(|t| t.done));
    // The rename field starts from the title as it is when the form opens.
    let untracked_title =
        move || shown.with_untracked(|t| t.as_ref().map(|t| t.title.clone()).unwrap_or_default());
    view! {
        <li class="todo" class:done=done hidden=move || remove.pending().get()>
            <ActionForm action=update attr:class="todo-check">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="done" value=move || (!done()).to_string()/>
                <button
                    type="submit"
                    class="check"
                    role="checkbox"
                    aria-checked=move || done().to_string()
                    aria-label=move || format!("Done: {}", title())
                ></button>
            </ActionForm>
            <Show
                when=move || editing.get()
                fallback=move || view! { <span class="todo-title">{title}</span> }
            >
                <ActionForm action=update attr:class="todo-rename">
                    <input type="hidden" name="id" value=id/>
                    <label class="sr-only" for=format!("rename-{id}")>"New title"</label>
                    <input id=format!("rename-{id}") name="title" value=untracked_title() maxlength="200" required autofocus/>
                    <button type="submit">"Save"</button>
                </ActionForm>
            </Show>
            <button type="button" on:click=move |_| editing.update(|e| *e = !*e)>
                {move || if editing.get() { "Cancel" } else { "Rename" }}
            </button>
            <ActionForm action=remove attr:class="todo-delete">
                <input type="hidden" name="id" value=id/>
                <button type="submit">"Delete"</button>
            </ActionForm>
        </li>
    }
}

#[component]
fn TodoSkeleton() -> impl IntoView {
    view! {
        <ul class="todo-list skeleton" aria-busy="true" aria-label="Loading todos">
            <li class="todo"></li>
            <li class="todo"></li>
            <li class="todo"></li>
        </ul>
    }
}

/// Shows why a change was refused. A 401 has already sent the visitor to sign in.
fn report(error: RwSignal<Option<String>>, err: &AppError) {
    if !matches!(err, AppError::Unauthenticated { .. }) {
        error.set(Some(err.message().to_owned()));
    }
}
