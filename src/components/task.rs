//! Browser tasks that belong to a component: cancelled when it goes away (another tab, another
//! page), so a late answer never writes to a signal that no longer exists.

use std::future::Future;

use leptos::prelude::*;
use leptos::reactive::owner::Owner;

/// The component being built, for tasks its effects and event handlers start later.
#[derive(Clone, Copy)]
pub struct Scope(StoredValue<Option<Owner>>);

impl Scope {
    /// Call while building the component.
    pub fn current() -> Self {
        Self(StoredValue::new(Owner::current()))
    }

    /// Runs `task` until it ends or the component is disposed, whichever comes first.
    pub fn spawn(self, task: impl Future<Output = ()> + 'static) {
        // A disposed component has nothing left to update.
        if let Some(Some(owner)) = self.0.try_get_value() {
            owner.with(|| leptos::task::spawn_local_scoped_with_cancellation(task));
        }
    }
}
