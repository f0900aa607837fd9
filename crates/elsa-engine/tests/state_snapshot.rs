//! Pins the exact JSON of small suspended states, so that changes to how the engine keeps its
//! state during a run cannot change what it persists.

mod support;

use serde_json::{Value, json};
use support::{definition, js, start};

fn persisted_counter() -> Value {
    json!([{"id": "var-x", "name": "X", "typeName": "Int32", "value": "0",
            "storageDriverTypeName": "Elsa.Workflows.WorkflowInstanceStorageDriver, Elsa.Workflows.Core"}])
}

fn state_json(root: Value) -> String {
    let engine = elsa_engine::Engine::default();
    let result = start(
        &engine,
        &definition(root, persisted_counter()),
        json!({"a": 1}),
    );
    serde_json::to_string(&result.state).expect("the state serializes")
}

#[test]
fn a_flowchart_suspended_after_a_decision_and_a_join_persists_the_same_json() {
    let root = json!({"id": "Flow", "type": "Elsa.Flowchart",
        "activities": [
            {"id": "Start", "type": "Elsa.Start"},
            {"id": "Decide", "type": "Elsa.FlowDecision",
             "condition": {"typeName": "Boolean", "expression": {"type": "JavaScript", "value": "getInput('a') == 1"}}},
            {"id": "Yes", "type": "Elsa.WriteLine", "text": "yes"},
            {"id": "No", "type": "Elsa.WriteLine", "text": "no"},
            {"id": "Join", "type": "Elsa.FlowJoin",
             "mode": {"typeName": "FlowJoinMode", "expression": {"type": "Literal", "value": "WaitAny"}}},
            {"id": "Set", "type": "Elsa.SetVariable", "variable": {"id": "var-x", "name": "X"}, "value": js("getX() + 5")},
            {"id": "Wait", "type": "Elsa.Event", "eventName": "Go"},
            {"id": "End", "type": "Elsa.End"}],
        "connections": [
            {"source": "Start", "target": "Decide"},
            {"source": "Decide", "sourcePort": "True", "target": "Yes"},
            {"source": "Decide", "sourcePort": "False", "target": "No"},
            {"source": "Yes", "target": "Join"},
            {"source": "No", "target": "Join"},
            {"source": "Join", "target": "Set"},
            {"source": "Set", "target": "Wait"},
            {"source": "Wait", "target": "End"}]});
    assert_eq!(state_json(root), FLOWCHART);
}

#[test]
fn a_loop_suspended_in_its_body_persists_the_same_json() {
    let root = json!({"id": "Seq", "type": "Elsa.Sequence", "activities": [
        {"id": "Loop", "type": "Elsa.ForEach",
         "items": {"typeName": "Object", "expression": {"type": "Object", "value": "[\"a\",\"b\"]"}},
         "body": {"id": "Body", "type": "Elsa.Sequence", "activities": [
             {"id": "Set", "type": "Elsa.SetVariable", "variable": {"id": "var-x", "name": "X"}, "value": js("getX() + 1")},
             {"id": "Next", "type": "Elsa.Event", "eventName": "next"}]}}]});
    assert_eq!(state_json(root), LOOP);
}

const FLOWCHART: &str = r#"{"id":"instance-1","definitionId":"def","definitionVersionId":"def-v1","definitionVersion":1,"correlationId":"corr-1","status":"Running","subStatus":"Suspended","isExecuting":false,"isSystem":false,"bookmarks":[{"id":"0000000000000016","name":"Elsa.Event","hash":"873FF5128077BDEF78C71BD29BA4EF552645F085EE16E1F9806B92ED28A1F034","payload":{"eventName":"Go"},"activityId":"Wait","activityNodeId":"Workflow1:Flow:Wait","activityInstanceId":"0000000000000014","createdAt":"2026-01-02T03:04:05Z","autoBurn":true,"callbackMethodName":"ResumeAsync","autoComplete":true}],"incidents":[],"completionCallbacks":[{"ownerInstanceId":"0000000000000001","childNodeId":"Workflow1:Flow","methodName":"OnChildCompletedAsync"},{"ownerInstanceId":"0000000000000003","childNodeId":"Workflow1:Flow:Wait","methodName":"OnChildCompletedAsync"}],"activityExecutionContexts":[{"id":"0000000000000001","scheduledActivityNodeId":"Workflow1","callStackDepth":0,"properties":{"Variables":{"var-x":5}},"metadata":{},"activityState":{},"dynamicVariables":[],"status":"Running","isExecuting":false,"faultCount":0,"startedAt":"2026-01-02T03:04:05Z"},{"id":"0000000000000003","parentContextId":"0000000000000001","ownerActivityNodeId":"Workflow1","scheduledActivityNodeId":"Workflow1:Flow","callStackDepth":1,"properties":{"FlowScope":{"ActivitiesVisitCount":{"Decide":1,"Join":1,"No":1,"Set":1,"Start":1,"Yes":1},"ConnectionVisitCount":{"Decide:False->No:In":1,"Decide:True->Yes:In":1,"Join:Done->Set:In":1,"No:Done->Join:In":1,"Set:Done->Wait:In":1,"Start:Done->Decide:In":1,"Yes:Done->Join:In":1},"ConnectionLastVisitFollowed":{"Decide:False->No:In":false,"Decide:True->Yes:In":true,"Join:Done->Set:In":true,"No:Done->Join:In":false,"Set:Done->Wait:In":true,"Start:Done->Decide:In":true,"Yes:Done->Join:In":true}}},"metadata":{},"activityState":{},"dynamicVariables":[],"status":"Running","isExecuting":false,"faultCount":0,"startedAt":"2026-01-02T03:04:05Z"},{"id":"0000000000000014","parentContextId":"0000000000000003","ownerActivityNodeId":"Workflow1:Flow","scheduledActivityNodeId":"Workflow1:Flow:Wait","callStackDepth":2,"properties":{},"metadata":{},"activityState":{"EventName":"Go"},"dynamicVariables":[],"status":"Running","isExecuting":false,"faultCount":0,"startedAt":"2026-01-02T03:04:05Z"}],"scheduledActivities":[],"executionLogSequence":14,"input":{"a":1},"output":{},"properties":{},"createdAt":"2026-01-02T03:04:05Z","updatedAt":"2026-01-02T03:04:05Z"}"#;
const LOOP: &str = r#"{"id":"instance-1","definitionId":"def","definitionVersionId":"def-v1","definitionVersion":1,"correlationId":"corr-1","status":"Running","subStatus":"Suspended","isExecuting":false,"isSystem":false,"bookmarks":[{"id":"000000000000000e","name":"Elsa.Event","hash":"C3CCE45D2B23AC39B9E5FA7023C6357198BC2475AF3A9915B4566355D6803CEC","payload":{"eventName":"next"},"activityId":"Next","activityNodeId":"Workflow1:Seq:Loop:Body:Next","activityInstanceId":"000000000000000c","createdAt":"2026-01-02T03:04:05Z","autoBurn":true,"callbackMethodName":"ResumeAsync","autoComplete":true}],"incidents":[],"completionCallbacks":[{"ownerInstanceId":"0000000000000001","childNodeId":"Workflow1:Seq","methodName":"OnChildCompletedAsync"},{"ownerInstanceId":"0000000000000003","childNodeId":"Workflow1:Seq:Loop","methodName":"OnChildCompletedAsync"},{"ownerInstanceId":"0000000000000005","childNodeId":"Workflow1:Seq:Loop:Body","methodName":"OnChildCompletedAsync"},{"ownerInstanceId":"0000000000000007","childNodeId":"Workflow1:Seq:Loop:Body:Next","methodName":"OnChildCompletedAsync"}],"activityExecutionContexts":[{"id":"0000000000000001","scheduledActivityNodeId":"Workflow1","callStackDepth":0,"properties":{"Variables":{"var-x":1}},"metadata":{},"activityState":{},"dynamicVariables":[],"status":"Running","isExecuting":false,"faultCount":0,"startedAt":"2026-01-02T03:04:05Z"},{"id":"0000000000000003","parentContextId":"0000000000000001","ownerActivityNodeId":"Workflow1","scheduledActivityNodeId":"Workflow1:Seq","callStackDepth":1,"properties":{"CurrentIndex":0},"metadata":{},"activityState":{},"dynamicVariables":[],"status":"Running","isExecuting":false,"faultCount":0,"startedAt":"2026-01-02T03:04:05Z"},{"id":"0000000000000005","parentContextId":"0000000000000003","ownerActivityNodeId":"Workflow1:Seq","scheduledActivityNodeId":"Workflow1:Seq:Loop","callStackDepth":2,"properties":{"CurrentIndex":0},"metadata":{},"activityState":{"Items":["a","b"]},"dynamicVariables":[],"status":"Running","isExecuting":false,"faultCount":0,"startedAt":"2026-01-02T03:04:05Z"},{"id":"0000000000000007","parentContextId":"0000000000000005","ownerActivityNodeId":"Workflow1:Seq:Loop","scheduledActivityNodeId":"Workflow1:Seq:Loop:Body","callStackDepth":3,"properties":{"CurrentIndex":1,"Variables":{"Workflow1:Seq:Loop:CurrentValue":"a","Workflow1:Seq:Loop:CurrentIndex":0}},"metadata":{},"activityState":{},"dynamicVariables":[],"status":"Running","isExecuting":false,"faultCount":0,"startedAt":"2026-01-02T03:04:05Z"},{"id":"000000000000000c","parentContextId":"0000000000000007","ownerActivityNodeId":"Workflow1:Seq:Loop:Body","scheduledActivityNodeId":"Workflow1:Seq:Loop:Body:Next","callStackDepth":4,"properties":{},"metadata":{},"activityState":{"EventName":"next"},"dynamicVariables":[],"status":"Running","isExecuting":false,"faultCount":0,"startedAt":"2026-01-02T03:04:05Z"}],"scheduledActivities":[],"executionLogSequence":8,"input":{"a":1},"output":{},"properties":{},"createdAt":"2026-01-02T03:04:05Z","updatedAt":"2026-01-02T03:04:05Z"}"#;
