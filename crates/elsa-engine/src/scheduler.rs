//! The scheduler of a run ("burst"): a FIFO queue of work items, and the completion callbacks
//! owners registered for the children they scheduled (elsa-api.md §5.2).

use crate::context::ContextIdx;
use crate::workflow::{NodeIdx, VarIdx};
use serde_json::{Map, Value};
use std::collections::VecDeque;

/// Elsa's name for the one callback method containers use; persisted in `completionCallbacks`.
pub(crate) const ON_CHILD_COMPLETED: &str = "OnChildCompletedAsync";

/// An activity waiting to be executed.
#[derive(Debug, Clone)]
pub(crate) struct WorkItem {
    pub node: NodeIdx,
    /// The context of the activity that scheduled it; `None` for the workflow itself.
    pub owner: Option<ContextIdx>,
    pub input: Map<String, Value>,
    /// Variables declared in the new context besides the node's own (loop iteration values).
    pub variables: Vec<(VarIdx, Value)>,
}

/// "Call the owner when its child `child` completes."
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CompletionCallback {
    pub owner: ContextIdx,
    pub child: NodeIdx,
}

#[derive(Debug, Default)]
pub(crate) struct Scheduler {
    queue: VecDeque<WorkItem>,
    callbacks: Vec<CompletionCallback>,
}

impl Scheduler {
    /// Queues `item`; its owner (if any) is called back when the child completes.
    pub fn schedule(&mut self, item: WorkItem) {
        if let Some(owner) = item.owner {
            self.callbacks.push(CompletionCallback {
                owner,
                child: item.node,
            });
        }
        self.queue.push_back(item);
    }

    pub fn next(&mut self) -> Option<WorkItem> {
        self.queue.pop_front()
    }

    /// Whether `owner` has queued `node` and it has not run yet.
    pub fn is_queued(&self, owner: ContextIdx, node: NodeIdx) -> bool {
        self.queue
            .iter()
            .any(|item| item.owner == Some(owner) && item.node == node)
    }

    pub fn queued(&self) -> impl Iterator<Item = &WorkItem> {
        self.queue.iter()
    }

    /// Drops queued items whose owner matches `owned`.
    pub fn unschedule(&mut self, owned: impl Fn(ContextIdx) -> bool) {
        self.queue.retain(|item| !item.owner.is_some_and(&owned));
    }

    pub fn clear(&mut self) {
        self.queue.clear();
    }

    /// Removes and reports the callback `owner` registered for `child`.
    pub fn take_callback(&mut self, owner: ContextIdx, child: NodeIdx) -> bool {
        let position = self
            .callbacks
            .iter()
            .position(|callback| callback.owner == owner && callback.child == child);
        position.map(|i| self.callbacks.remove(i)).is_some()
    }

    /// Forgets the callbacks of an owner that completed or was canceled.
    pub fn remove_callbacks_of(&mut self, owner: ContextIdx) {
        self.callbacks.retain(|callback| callback.owner != owner);
    }

    /// Re-registers a callback persisted in a suspended instance's state.
    pub fn restore_callback(&mut self, callback: CompletionCallback) {
        self.callbacks.push(callback);
    }

    pub fn callbacks(&self) -> &[CompletionCallback] {
        &self.callbacks
    }
}
