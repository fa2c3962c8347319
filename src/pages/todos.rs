//! `/todos`: the signed-in user's todo list. Every change shows at once and is rolled back, with
//! a message, if the server refuses it.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api,
    auth::{AuthStore, RequireAuth, use_auth},
    components::{
        form::{reset_form, submitted_value},
        load::Load,
    },
    domain::{NewTodoRequest, Todo, UpdateTodoRequest},
    error::AppError,
};

#[component]
pub fn TodosPage() -> impl IntoView {
    view! {
        <Title text="Todos"/>
        <RequireAuth>
            <TodoList/>
        </RequireAuth>
    }
}

#[component]
fn TodoList() -> impl IntoView {
    let auth = use_auth();
    let todos = RwSignal::new(Vec::<Todo>::new());
    let load = RwSignal::new(Load::Loading);
    let error = RwSignal::new(None::<String>);
    // Ids below zero mark todos the server has not confirmed yet.
    let next_temp_id = StoredValue::new(-1_i64);

    let reload = move || {
        load.set(Load::Loading);
        leptos::task::spawn_local(async move {
            match auth.check(api::list_todos().await) {
                Ok(list) => {
                    // A todo added while the list was loading is not in it yet: keep it.
                    todos.update(|current| {
                        current.retain(|todo| todo.id < 0);
                        let pending = std::mem::replace(current, list);
                        current.extend(pending);
                    });
                    load.set(Load::Ready);
                }
                Err(err) => load.set(Load::Failed(err.message().to_owned())),
            }
        });
    };
    Effect::new(move |_| reload());

    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let title = submitted_value(&event, "title");
        let temp_id = next_temp_id.get_value();
        next_temp_id.set_value(temp_id - 1);
        todos.update(|list| {
            list.push(Todo {
                id: temp_id,
                title: title.trim().to_owned(),
                done: false,
            })
        });
        if let Some(form) = event.target() {
            reset_form(form);
        }
        leptos::task::spawn_local(async move {
            match auth.check(api::create_todo(&NewTodoRequest { title }).await) {
                Ok(saved) => confirm(todos, temp_id, saved),
                Err(err) => {
                    replace(todos, temp_id, None);
                    report(error, &err);
                }
            }
        });
    };

    view! {
        <section>
            <h1>"Todos"</h1>
            <p class="alert" role="alert" hidden=move || error.with(Option::is_none)>
                {move || error.get()}
            </p>
            <form class="todo-add" on:submit=add>
                <label for="new-todo" class="sr-only">"New todo"</label>
                <input id="new-todo" name="title" placeholder="What needs doing?" maxlength="200" required/>
                <button class="primary" type="submit">"Add"</button>
            </form>
            {move || match load.get() {
                Load::Loading => view! { <TodoSkeleton/> }.into_any(),
                Load::Failed(message) => view! {
                    <div class="alert" role="alert">
                        <p>"Could not load your todos: " {message}</p>
                        <button type="button" on:click=move |_| reload()>"Retry"</button>
                    </div>
                }
                .into_any(),
                Load::Ready => view! {
                    <Show when=move || todos.with(Vec::is_empty)>
                        <p class="muted">"Nothing to do. Add your first todo above."</p>
                    </Show>
                    <ul class="todo-list">
                        <For each=move || todos.get() key=|todo| (todo.id, todo.title.clone(), todo.done) let:todo>
                            <TodoItem todo todos error auth/>
                        </For>
                    </ul>
                }
                .into_any(),
            }}
        </section>
    }
}

#[component]
fn TodoItem(
    todo: Todo,
    todos: RwSignal<Vec<Todo>>,
    error: RwSignal<Option<String>>,
    auth: AuthStore,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let id = todo.id;
    let pending = id < 0;
    let title = todo.title.clone();

    let toggle = move |_| {
        let Some(before) = find(todos, id) else {
            return;
        };
        let done = !before.done;
        replace(
            todos,
            id,
            Some(Todo {
                done,
                ..before.clone()
            }),
        );
        leptos::task::spawn_local(async move {
            let patch = UpdateTodoRequest {
                title: None,
                done: Some(done),
            };
            if let Err(err) = auth.check(api::update_todo(id, &patch).await) {
                replace(todos, id, Some(before));
                report(error, &err);
            }
        });
    };

    let rename = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        editing.set(false);
        let Some(before) = find(todos, id) else {
            return;
        };
        let title = submitted_value(&event, "title").trim().to_owned();
        if title == before.title {
            return;
        }
        replace(
            todos,
            id,
            Some(Todo {
                title: title.clone(),
                ..before.clone()
            }),
        );
        leptos::task::spawn_local(async move {
            let patch = UpdateTodoRequest {
                title: Some(title),
                done: None,
            };
            match auth.check(api::update_todo(id, &patch).await) {
                Ok(saved) => replace(todos, id, Some(saved)),
                Err(err) => {
                    replace(todos, id, Some(before));
                    report(error, &err);
                }
            }
        });
    };

    let delete = move |_| {
        let Some(position) = todos.with(|list| list.iter().position(|t| t.id == id)) else {
            return;
        };
        let removed = todos.try_update(|list| list.remove(position));
        leptos::task::spawn_local(async move {
            if let Err(err) = auth.check(api::delete_todo(id).await) {
                if let Some(removed) = removed {
                    todos.update(|list| list.insert(position.min(list.len()), removed));
                }
                report(error, &err);
            }
        });
    };

    let label = format!("Done: {title}");
    view! {
        <li class="todo" class:done=todo.done class:pending=pending>
            <input type="checkbox" aria-label=label prop:checked=todo.done disabled=pending on:change=toggle/>
            <Show
                when=move || editing.get()
                fallback={
                    let title = title.clone();
                    move || view! { <span class="todo-title">{title.clone()}</span> }
                }
            >
                <form class="todo-rename" on:submit=rename>
                    <label class="sr-only" for=format!("rename-{id}")>"New title"</label>
                    <input id=format!("rename-{id}") name="title" value=todo.title.clone() maxlength="200" required autofocus/>
                    <button type="submit">"Save"</button>
                </form>
            </Show>
            <button type="button" disabled=pending on:click=move |_| editing.update(|e| *e = !*e)>
                {move || if editing.get() { "Cancel" } else { "Rename" }}
            </button>
            <button type="button" disabled=pending on:click=delete>"Delete"</button>
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

fn find(todos: RwSignal<Vec<Todo>>, id: i64) -> Option<Todo> {
    todos.with_untracked(|list| list.iter().find(|t| t.id == id).cloned())
}

/// Replaces (or, with `None`, removes) the todo with id `id`.
fn replace(todos: RwSignal<Vec<Todo>>, id: i64, todo: Option<Todo>) {
    todos.update(|list| {
        if let Some(position) = list.iter().position(|t| t.id == id) {
            match todo {
                Some(todo) => list[position] = todo,
                None => {
                    list.remove(position);
                }
            }
        }
    });
}

/// Swaps the placeholder `temp_id` for the todo the server saved. A list load that finished in
/// between may already hold it, and then the placeholder just goes.
fn confirm(todos: RwSignal<Vec<Todo>>, temp_id: i64, saved: Todo) {
    todos.update(|list| {
        let placeholder = list.iter().position(|t| t.id == temp_id);
        let already_listed = list.iter().any(|t| t.id == saved.id);
        match (placeholder, already_listed) {
            (Some(position), false) => list[position] = saved,
            (Some(position), true) => {
                list.remove(position);
            }
            (None, false) => list.push(saved),
            (None, true) => {}
        }
    });
}

fn report(error: RwSignal<Option<String>>, err: &AppError) {
    if !matches!(err, AppError::Unauthenticated { .. }) {
        error.set(Some(err.message().to_owned()));
    }
}
