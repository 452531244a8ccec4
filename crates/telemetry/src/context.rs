//! The request's id and its component's metrics, carried by the task that serves it.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;

use tokio::task::futures::TaskLocalFuture;

use crate::{Metrics, RequestId};

/// What the task serving a request (or a component's background work) carries.
#[derive(Clone)]
pub struct Scope {
    /// `None` for background work.
    pub request_id: Option<RequestId>,
    pub metrics: Arc<Metrics>,
}

tokio::task_local! {
    static SCOPE: Scope;
}

thread_local! {
    /// The id of the request a blocking thread is working for ([`blocking`]).
    static BLOCKING: RefCell<Option<RequestId>> = const { RefCell::new(None) };
}

/// Runs `future` with `scope`: log lines written and peer calls made meanwhile see it.
///
/// A plain function rather than an `async fn`: an `async fn` would keep `future` both as its
/// argument and inside the scoped future it awaits, doubling the size of every request's future,
/// which is moved and boxed whole.
pub fn scope<F: Future>(scope: Scope, future: F) -> TaskLocalFuture<Scope, F> {
    SCOPE.scope(scope, future)
}

/// Runs `work` with `scope`: log lines written meanwhile see it.
pub fn in_scope<R>(scope: Scope, work: impl FnOnce() -> R) -> R {
    SCOPE.sync_scope(scope, work)
}

/// The scope this task runs in, if any: for work a request hands to a task of its own, which
/// should log and count as the request does.
pub fn current_scope() -> Option<Scope> {
    SCOPE.try_with(Scope::clone).ok()
}

/// The id of the request being served here, if any.
pub fn current_request_id() -> Option<RequestId> {
    SCOPE
        .try_with(|scope| scope.request_id.clone())
        .ok()
        .flatten()
        .or_else(|| BLOCKING.with(|id| id.borrow().clone()))
}

/// The metrics of the component whose work this is, if any.
pub fn current_metrics() -> Option<Arc<Metrics>> {
    SCOPE.try_with(|scope| scope.metrics.clone()).ok()
}

/// `work`, to be run on a blocking thread, made to carry the current request's id there.
pub fn blocking<T>(work: impl FnOnce() -> T) -> impl FnOnce() -> T {
    let id = current_request_id();
    move || {
        let previous = BLOCKING.with(|slot| slot.replace(id));
        let result = work();
        BLOCKING.with(|slot| *slot.borrow_mut() = previous);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_id_follows_the_task_and_its_blocking_work() {
        assert!(current_request_id().is_none());
        let id = RequestId::generate();
        let metrics = Arc::new(Metrics::new());
        let scoped = Scope {
            request_id: Some(id.clone()),
            metrics,
        };
        let seen = scope(scoped, async {
            let in_task = current_request_id();
            let on_thread = tokio::task::spawn_blocking(blocking(current_request_id))
                .await
                .unwrap();
            (in_task, on_thread, current_metrics().is_some())
        })
        .await;
        assert_eq!(seen, (Some(id.clone()), Some(id), true));
        assert!(current_request_id().is_none());
        assert!(current_metrics().is_none());
    }
}
