//! One suite, run against SQLite and PostgreSQL: both implementations must behave the same.

use chrono::{TimeZone, Utc};
use elsa_model::{
    ActivityExecutionRecord, Bookmark, VersionOptions, WorkflowDefinition,
    WorkflowExecutionLogRecord, WorkflowInstance, WorkflowState, WorkflowStatus, WorkflowSubStatus,
};
use elsa_store::migrate::{self, Module};
use elsa_store::testing::TestPg;
use elsa_store::{
    ActivityRecordFilter, Application, Database, DbSettings, DefinitionFilter, DefinitionStore,
    Fence, IdentityStore, InstanceCommit, InstanceFilter, InstanceStore, JournalFilter, Lease,
    NewWork, PageRequest, Role, SecretStore, SqliteSettings, StoreError, StoredTrigger,
    TimestampColumn, TimestampFilter, TimestampOperator, TriggerStore, User, WorkFilter,
    WorkStatus, WorkStore,
};
use serde_json::json;

async fn suite(settings: DbSettings) {
    let db = Database::connect(&settings).await.expect("connect");
    schema(&settings, &db).await;
    definitions(&db).await;
    instances(&db).await;
    identity(&db).await;
    records_and_lookups(&db).await;
    secrets(&db).await;
    triggers(&db).await;
    work_queue(&db).await;
    nodes(&db).await;
    db.close().await;
}

async fn schema(settings: &DbSettings, db: &Database) {
    for module in Module::ALL {
        let expected: &[&str] = match module {
            Module::Management => &[
                "20261128000000_InitialCreate",
                "20261128100000_AddIdentity",
                "20261128120000_ServerSecrets",
                "20261203000000_AddTriggers",
                "20261204000000_AddChangeSequence",
            ],
            Module::Runtime => &[
                "20261128000000_InitialCreate",
                "20261203000000_AddWorkQueue",
                "20261204000000_AddNodes",
                "20261205000000_CompactRunRecords",
                "20261205000100_NodeTags",
            ],
        };
        assert_eq!(migrate::pending(db, module).await.unwrap(), expected);
        let behind = migrate::ensure_current(db, module).await;
        assert!(
            matches!(behind, Err(StoreError::SchemaBehind { pending, .. }) if pending == expected.len()),
            "{behind:?}"
        );
        let mut seen = Vec::new();
        let applied = migrate::migrate(settings, db, module, &mut |id| seen.push(id.to_string()))
            .await
            .unwrap();
        assert_eq!(applied, seen);
        assert!(migrate::pending(db, module).await.unwrap().is_empty());
        // A second run finds nothing to do.
        let again = migrate::migrate(settings, db, module, &mut |_| {})
            .await
            .unwrap();
        assert!(again.is_empty());
    }
}

async fn identity(db: &Database) {
    let store = IdentityStore::new(db.clone());
    let admin = Role {
        id: "admin".into(),
        name: "Admin".into(),
        permissions: vec!["*".into()],
        tenant_id: None,
    };
    let reader = Role {
        id: "reader".into(),
        name: "Reader".into(),
        permissions: vec!["read:workflow-definitions".into()],
        tenant_id: Some("t1".into()),
    };
    assert!(store.insert_role(&admin).await.unwrap());
    assert!(store.insert_role(&reader).await.unwrap());
    assert!(!store.insert_role(&admin).await.unwrap(), "same id twice");
    assert_eq!(
        store.roles().await.unwrap(),
        [admin.clone(), reader.clone()]
    );
    let found = store
        .roles_by_ids(&["reader".into(), "missing".into()])
        .await
        .unwrap();
    assert_eq!(found, std::slice::from_ref(&reader));
    let renamed = Role {
        name: "Readers".into(),
        permissions: vec!["read:workflow-instances".into()],
        ..reader.clone()
    };
    assert!(store.update_role(&renamed).await.unwrap());
    assert_eq!(store.role_by_id("reader").await.unwrap(), Some(renamed));

    let alice = User {
        id: "u1".into(),
        name: "alice".into(),
        hashed_password: "aGFzaA==".into(),
        hashed_password_salt: "c2FsdA==".into(),
        roles: vec!["admin".into(), "reader".into()],
        tenant_id: None,
    };
    assert!(store.insert_user(&alice).await.unwrap());
    let same_name = User {
        id: "u2".into(),
        ..alice.clone()
    };
    assert!(
        !store.insert_user(&same_name).await.unwrap(),
        "names are unique"
    );
    assert_eq!(
        store.user_by_name("alice").await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(store.user_by_name("ALICE").await.unwrap(), None);
    let changed = User {
        hashed_password: "bmV3".into(),
        roles: vec![],
        ..alice.clone()
    };
    assert!(store.update_user(&changed).await.unwrap());
    assert_eq!(store.user_by_id("u1").await.unwrap(), Some(changed));
    assert_eq!(store.users().await.unwrap().len(), 1);
    assert!(store.delete_user("u1").await.unwrap());
    assert!(!store.delete_user("u1").await.unwrap());
    assert!(store.users().await.unwrap().is_empty());
    assert!(store.delete_role("reader").await.unwrap());

    let app = Application {
        id: "a1".into(),
        client_id: "client-1".into(),
        name: "CI".into(),
        hashed_client_secret: "c2VjcmV0".into(),
        hashed_client_secret_salt: "c2FsdDE=".into(),
        hashed_api_key: "a2V5".into(),
        hashed_api_key_salt: "c2FsdDI=".into(),
        roles: vec!["admin".into()],
        tenant_id: None,
    };
    assert!(store.insert_application(&app).await.unwrap());
    let same_client = Application {
        id: "a2".into(),
        ..app.clone()
    };
    assert!(!store.insert_application(&same_client).await.unwrap());
    assert_eq!(
        store.application_by_client_id("client-1").await.unwrap(),
        Some(app)
    );
    assert_eq!(store.application_by_client_id("nope").await.unwrap(), None);
}

fn definition(id: &str, definition_id: &str, version: i32, name: &str) -> WorkflowDefinition {
    WorkflowDefinition {
        id: id.into(),
        definition_id: definition_id.into(),
        name: Some(name.into()),
        description: Some("A 50% test_case".into()),
        created_at: Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, version as u32)
            .unwrap(),
        version,
        tool_version: None,
        variables: vec![],
        inputs: vec![],
        outputs: vec![],
        outcomes: vec![],
        custom_properties: Default::default(),
        is_readonly: false,
        is_system: false,
        is_latest: true,
        is_published: false,
        options: Default::default(),
        root: json!({"type": "Elsa.Sequence", "activities": [], "metadata": {"designer": {"x": 1}}}),
    }
}

async fn definitions(db: &Database) {
    let store = DefinitionStore::new(db.clone());
    let mut v1 = definition("v1", "d1", 1, "Order intake");
    v1.is_published = true;
    store.save(std::slice::from_ref(&v1), &[]).await.unwrap();
    assert_eq!(store.get("v1").await.unwrap(), Some(v1.clone()));

    // A new draft on top of a published version: both flags move in one save.
    let mut old = v1.clone();
    old.is_latest = false;
    let v2 = definition("v2", "d1", 2, "Order intake");
    store.save(&[v2.clone(), old.clone()], &[]).await.unwrap();
    assert_eq!(
        store
            .find("d1", VersionOptions::Latest)
            .await
            .unwrap()
            .unwrap()
            .id,
        "v2"
    );
    assert_eq!(
        store
            .find("d1", VersionOptions::Published)
            .await
            .unwrap()
            .unwrap()
            .id,
        "v1"
    );
    assert_eq!(
        store
            .find("d1", VersionOptions::Specific(2))
            .await
            .unwrap()
            .unwrap()
            .id,
        "v2"
    );
    assert!(
        store
            .find("d1", VersionOptions::LatestAndPublished)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .find("nope", VersionOptions::Latest)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .versions("d1")
            .await
            .unwrap()
            .iter()
            .map(|d| d.version)
            .collect::<Vec<_>>(),
        [2, 1]
    );

    // A second latest version of the same definition violates the invariant.
    let clash = definition("v3", "d1", 3, "x");
    assert!(store.save(&[clash], &[]).await.is_err());

    store
        .save(&[definition("w1", "d2", 1, "Billing")], &[])
        .await
        .unwrap();
    let latest = store
        .list(&DefinitionFilter {
            version_options: Some(VersionOptions::Latest),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(latest.total_count, 2);
    assert_eq!(
        latest
            .items
            .iter()
            .map(|d| d.id.as_str())
            .collect::<Vec<_>>(),
        ["w1", "v2"]
    );

    let page = store
        .list(&DefinitionFilter {
            page: Some(PageRequest {
                page: 1,
                page_size: 1,
            }),
            descending: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total_count, 3);
    assert_eq!(page.items.len(), 1);

    let search = |term: &str| DefinitionFilter {
        search_term: Some(term.into()),
        version_options: Some(VersionOptions::Latest),
        ..Default::default()
    };
    assert_eq!(store.list(&search("BILL")).await.unwrap().total_count, 1);
    assert_eq!(store.list(&search("50%")).await.unwrap().total_count, 2);
    assert_eq!(store.list(&search("5_%")).await.unwrap().total_count, 0);

    // Counting and name checks see definitions, not versions.
    assert_eq!(store.count_definitions().await.unwrap(), 2);
    assert!(!store.is_name_unique("Billing", None).await.unwrap());
    assert!(store.is_name_unique("Billing", Some("d2")).await.unwrap());
    assert!(
        !store
            .is_name_unique("Order intake", Some("d2"))
            .await
            .unwrap()
    );
    assert!(store.is_name_unique("billing", None).await.unwrap());

    assert_eq!(
        store
            .delete_versions(&["w1".into(), "missing".into()])
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.count_definitions().await.unwrap(), 1);

    assert_eq!(store.delete_definition("d1").await.unwrap(), 2);
    assert!(store.get("v1").await.unwrap().is_none());
    assert_eq!(store.count_definitions().await.unwrap(), 0);
}

fn state(id: &str, sub: WorkflowSubStatus, second: u32) -> WorkflowState {
    let at = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, second).unwrap();
    WorkflowState {
        id: id.into(),
        definition_id: "d1".into(),
        definition_version_id: "v1".into(),
        definition_version: 1,
        parent_workflow_instance_id: None,
        correlation_id: Some(format!("corr-{id}")),
        name: None,
        status: sub.status(),
        sub_status: sub,
        is_executing: false,
        is_system: false,
        bookmarks: vec![],
        incidents: vec![],
        completion_callbacks: vec![],
        activity_execution_contexts: vec![
            json!({"id": "ctx", "properties": {"Variables": {"v": 3}}}),
        ],
        scheduled_activities: vec![],
        execution_log_sequence: 0,
        input: Default::default(),
        output: Default::default(),
        properties: Default::default(),
        created_at: at,
        updated_at: at,
        finished_at: None,
    }
}

fn bookmark(id: &str, instance: &str) -> Bookmark {
    Bookmark {
        id: id.into(),
        name: "Elsa.Event".into(),
        hash: "ABC".into(),
        payload: json!({"eventName": "Approved"}),
        activity_id: "Event1".into(),
        activity_node_id: "Workflow1:Event1".into(),
        activity_instance_id: format!("ctx-{instance}"),
        created_at: Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap(),
        auto_burn: true,
        callback_method_name: None,
        auto_complete: true,
        metadata: None,
    }
}

fn log(instance: &str, sequence: i64) -> WorkflowExecutionLogRecord {
    WorkflowExecutionLogRecord {
        id: format!("{instance}-log-{sequence}"),
        workflow_definition_id: "d1".into(),
        workflow_definition_version_id: "v1".into(),
        workflow_instance_id: instance.into(),
        workflow_version: 1,
        activity_instance_id: "ctx".into(),
        parent_activity_instance_id: None,
        activity_id: "WriteLine1".into(),
        activity_type: "Elsa.WriteLine".into(),
        activity_type_version: 1,
        activity_name: None,
        activity_node_id: "Workflow1:WriteLine1".into(),
        timestamp: Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap(),
        sequence,
        event_name: Some("Started".into()),
        message: None,
        source: None,
        payload: None,
    }
}

async fn instances(db: &Database) {
    let store = InstanceStore::new(db.clone());
    let suspended =
        WorkflowInstance::from_state(state("i1", WorkflowSubStatus::Suspended, 1), false);
    let v = store
        .commit(InstanceCommit {
            instance: &suspended,
            expected_version: None,
            bookmarks: &[bookmark("b1", "i1")],
            journal: &[log("i1", 0), log("i1", 1)],
            activity_records: &[],
            work: &[],
            done_work: &[],
            fence: None,
        })
        .await
        .unwrap();
    assert_eq!(v, 1);
    assert_eq!(store.get("i1").await.unwrap(), Some((suspended.clone(), 1)));
    assert_eq!(store.bookmarks("i1").await.unwrap().len(), 1);
    let named = store
        .bookmarks_named(&bookmark("b1", "i1").name)
        .await
        .unwrap();
    assert_eq!(
        (
            named.len(),
            named[0].workflow_instance_id.as_str(),
            named[0].bookmark.id.as_str()
        ),
        (1, "i1", "b1")
    );
    assert!(
        store
            .bookmarks_named("Elsa.Nothing")
            .await
            .unwrap()
            .is_empty()
    );

    // Creating the same instance twice fails and leaves the first write intact.
    let dup = store
        .commit(InstanceCommit {
            instance: &suspended,
            expected_version: None,
            bookmarks: &[bookmark("b9", "i1")],
            journal: &[],
            activity_records: &[],
            work: &[],
            done_work: &[],
            fence: None,
        })
        .await;
    assert!(dup.is_err());
    assert_eq!(store.bookmarks("i1").await.unwrap()[0].id, "b1");

    // Resume: the winner moves the version on; a stale writer is refused and changes nothing.
    let mut finished = suspended.clone();
    finished.status = WorkflowStatus::Finished;
    finished.sub_status = WorkflowSubStatus::Finished;
    let commit = InstanceCommit {
        instance: &finished,
        expected_version: Some(1),
        bookmarks: &[],
        journal: &[log("i1", 2)],
        activity_records: &[],
        work: &[],
        done_work: &[],
        fence: None,
    };
    assert_eq!(store.commit(commit).await.unwrap(), 2);
    let stale = store.commit(commit).await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { expected: 1, .. })),
        "{stale:?}"
    );
    assert_eq!(store.get("i1").await.unwrap().unwrap().1, 2);
    assert!(store.bookmarks("i1").await.unwrap().is_empty());
    let journal = store.journal("i1", 1, 10).await.unwrap();
    assert_eq!(journal.total_count, 3);
    assert_eq!(
        journal.items.iter().map(|r| r.sequence).collect::<Vec<_>>(),
        [1, 2]
    );

    let running = WorkflowInstance::from_state(state("i2", WorkflowSubStatus::Executing, 2), false);
    store
        .commit(InstanceCommit {
            instance: &running,
            expected_version: None,
            bookmarks: &[],
            journal: &[],
            activity_records: &[],
            work: &[],
            done_work: &[],
            fence: None,
        })
        .await
        .unwrap();
    let newest_first = store
        .list(&InstanceFilter {
            descending: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        newest_first
            .items
            .iter()
            .map(|i| i.id.as_str())
            .collect::<Vec<_>>(),
        ["i2", "i1"]
    );
    let finished_only = store
        .list(&InstanceFilter {
            statuses: Some(vec![WorkflowStatus::Finished]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(finished_only.total_count, 1);
    assert_eq!(
        finished_only.items[0].sub_status,
        WorkflowSubStatus::Finished
    );
    let by_term = store
        .list(&InstanceFilter {
            search_term: Some("CORR-I2".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_term.items.len(), 1);

    concurrent_commits(&store).await;

    assert!(store.delete("i1").await.unwrap());
    assert!(!store.delete("i1").await.unwrap());
    assert_eq!(store.journal("i1", 0, 10).await.unwrap().total_count, 0);

    // Deleting a definition's instances takes only that definition's, with their rows.
    assert_eq!(store.delete_by_definition("other").await.unwrap(), 0);
    let left = store.list(&InstanceFilter::default()).await.unwrap();
    assert!(left.total_count > 0);
    let deleted = store.delete_by_definition("d1").await.unwrap();
    assert_eq!(deleted, left.total_count as u64);
    assert_eq!(
        store
            .list(&InstanceFilter::default())
            .await
            .unwrap()
            .total_count,
        0
    );
    for instance in &left.items {
        assert!(store.bookmarks(&instance.id).await.unwrap().is_empty());
    }
}

/// Commits that arrive together are written together, yet each is all-or-nothing and gets its
/// own answer: of two writers racing on one version exactly one wins, and the others' creates
/// are unaffected.
async fn concurrent_commits(store: &InstanceStore) {
    let base = WorkflowInstance::from_state(state("race", WorkflowSubStatus::Suspended, 3), false);
    store
        .commit(InstanceCommit {
            instance: &base,
            expected_version: None,
            bookmarks: &[bookmark("race-b", "race")],
            journal: &[],
            activity_records: &[],
            work: &[],
            done_work: &[],
            fence: None,
        })
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for n in 0..24 {
        let store = store.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            if n % 8 == 0 {
                // Three of these race to move "race" from version 1 to 2.
                let mut next = base;
                next.name = Some(format!("writer {n}"));
                store
                    .commit(InstanceCommit {
                        instance: &next,
                        expected_version: Some(1),
                        bookmarks: &[],
                        journal: &[log("race", 10 + n)],
                        activity_records: &[],
                        work: &[],
                        done_work: &[],
                        fence: None,
                    })
                    .await
            } else {
                let fresh = WorkflowInstance::from_state(
                    state(&format!("c{n}"), WorkflowSubStatus::Finished, 4),
                    false,
                );
                let journal = [log(&fresh.id, 0), log(&fresh.id, 1)];
                store
                    .commit(InstanceCommit {
                        instance: &fresh,
                        expected_version: None,
                        bookmarks: &[bookmark(&format!("b-c{n}"), &fresh.id)],
                        journal: &journal,
                        activity_records: &[],
                        work: &[],
                        done_work: &[],
                        fence: None,
                    })
                    .await
            }
        }));
    }
    let mut wins = 0;
    let mut conflicts = 0;
    for (n, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(v) if n % 8 == 0 => {
                assert_eq!(v, 2);
                wins += 1
            }
            Ok(v) => assert_eq!(v, 1),
            Err(StoreError::Conflict { .. }) if n % 8 == 0 => conflicts += 1,
            Err(e) => panic!("commit {n} failed: {e}"),
        }
    }
    assert_eq!((wins, conflicts), (1, 2));
    assert_eq!(store.get("race").await.unwrap().unwrap().1, 2);
    assert!(
        store.bookmarks("race").await.unwrap().is_empty(),
        "the winner replaced the bookmarks"
    );
    assert_eq!(
        store.journal("race", 0, 100).await.unwrap().total_count,
        1,
        "only the winner's journal"
    );
    for n in (0..24).filter(|n| n % 8 != 0) {
        let id = format!("c{n}");
        assert_eq!(store.journal(&id, 0, 10).await.unwrap().total_count, 2);
        assert_eq!(store.bookmarks(&id).await.unwrap().len(), 1);
    }
    assert_eq!(
        store
            .list(&InstanceFilter::default())
            .await
            .unwrap()
            .total_count,
        2 + 1 + 21
    );
}

#[tokio::test]
async fn sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nested").join("elsa.db");
    suite(DbSettings::Sqlite(SqliteSettings {
        filename: file.to_string_lossy().into_owned(),
        ..Default::default()
    }))
    .await;
    assert!(file.exists(), "the SQLite file and its folder are created");
}

#[tokio::test]
async fn sqlite_in_memory() {
    suite(DbSettings::Sqlite(SqliteSettings {
        filename: ":memory:".into(),
        ..Default::default()
    }))
    .await;
}

#[tokio::test]
async fn postgres() {
    let pg = TestPg::new().await;
    suite(DbSettings::PostgreSql(pg.settings.clone())).await;
}

/// Four migrators at once against one database: all succeed, each migration is applied once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_migrators() {
    let pg = TestPg::new().await;
    let settings = DbSettings::PostgreSql(pg.settings.clone());
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let settings = settings.clone();
        tasks.push(tokio::spawn(async move {
            let db = Database::connect(&settings).await.unwrap();
            let mut applied = 0;
            for module in Module::ALL {
                applied += migrate::migrate(&settings, &db, module, &mut |_| {})
                    .await
                    .unwrap()
                    .len();
            }
            db.close().await;
            applied
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    // Management has five migrations, Runtime five.
    assert_eq!(total, 10, "each migration ran exactly once");
    let rows = pg
        .admin_query(r#"SELECT "MigrationId" FROM "__EFMigrationsHistory_Management" UNION ALL SELECT "MigrationId" FROM "__EFMigrationsHistory_Runtime""#)
        .await;
    assert_eq!(rows.len(), 10);
}

fn record(
    instance: &str,
    id: &str,
    node: &str,
    second: u32,
    completed: bool,
) -> ActivityExecutionRecord {
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, second).unwrap();
    ActivityExecutionRecord {
        id: id.into(),
        workflow_instance_id: instance.into(),
        activity_id: node.rsplit(':').next().unwrap().into(),
        activity_node_id: node.into(),
        activity_type: "Elsa.WriteLine".into(),
        activity_type_version: 1,
        activity_name: None,
        activity_state: None,
        outputs: None,
        payload: None,
        exception: None,
        started_at: at,
        has_bookmarks: !completed,
        status: if completed { "Completed" } else { "Running" }.into(),
        completed_at: completed.then_some(at),
    }
}

/// Journal filters, activity record queries, bookmark lookups, timestamp and system filters,
/// and deleting several instances with everything they own.
async fn records_and_lookups(db: &Database) {
    let store = InstanceStore::new(db.clone());
    let mut system = state("r1", WorkflowSubStatus::Suspended, 10);
    system.is_system = true;
    let r1 = WorkflowInstance::from_state(system, true);
    let mut journal: Vec<WorkflowExecutionLogRecord> = (0..4).map(|n| log("r1", n)).collect();
    journal[1].activity_type = "Elsa.Flowchart".into();
    journal[2].event_name = Some("Completed".into());
    journal[3].activity_id = "Event1".into();
    journal[3].activity_node_id = "Workflow1:Event1".into();
    store
        .commit(InstanceCommit {
            instance: &r1,
            expected_version: None,
            bookmarks: &[bookmark("rb1", "r1")],
            journal: &journal,
            activity_records: &[
                record("r1", "a1", "Workflow1:WriteLine1", 1, true),
                record("r1", "a2", "Workflow1:Event1", 2, false),
                record("r1", "a3", "Workflow1:WriteLine1", 3, true),
            ],
            work: &[],
            done_work: &[],
            fence: None,
        })
        .await
        .unwrap();
    let r2 = WorkflowInstance::from_state(state("r2", WorkflowSubStatus::Finished, 20), false);
    store
        .commit(InstanceCommit {
            instance: &r2,
            expected_version: None,
            bookmarks: &[],
            journal: &[log("r2", 0)],
            activity_records: &[record("r2", "b1", "Workflow1:WriteLine1", 4, true)],
            work: &[],
            done_work: &[],
            fence: None,
        })
        .await
        .unwrap();

    // Journal: filters combine, paging applies after filtering.
    let filter = JournalFilter {
        excluded_activity_types: vec!["Elsa.Flowchart".into()],
        ..Default::default()
    };
    let page = store.journal_filtered("r1", &filter, 1, 10).await.unwrap();
    assert_eq!(page.total_count, 3);
    assert_eq!(
        page.items.iter().map(|r| r.sequence).collect::<Vec<_>>(),
        [2, 3]
    );
    let completed = JournalFilter {
        event_names: vec!["Completed".into()],
        activity_node_ids: vec!["Workflow1:WriteLine1".into()],
        ..Default::default()
    };
    let page = store
        .journal_filtered("r1", &completed, 0, 10)
        .await
        .unwrap();
    assert_eq!(
        page.items.iter().map(|r| r.sequence).collect::<Vec<_>>(),
        [2]
    );
    let last = store.last_journal_record("r1", "WriteLine1").await.unwrap();
    assert_eq!(last.unwrap().sequence, 2);
    assert!(
        store
            .last_journal_record("r1", "Nope")
            .await
            .unwrap()
            .is_none()
    );

    // Activity records.
    let of_node = ActivityRecordFilter {
        workflow_instance_id: Some("r1".into()),
        activity_node_ids: Some(vec!["Workflow1:WriteLine1".into()]),
        ..Default::default()
    };
    let ids = |records: Vec<ActivityExecutionRecord>| {
        records.into_iter().map(|r| r.id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store.find_activity_records(&of_node).await.unwrap()),
        ["a1", "a3"]
    );
    let running = ActivityRecordFilter {
        completed: Some(false),
        ..Default::default()
    };
    assert_eq!(
        ids(store.find_activity_records(&running).await.unwrap()),
        ["a2"]
    );
    let write_lines = ActivityRecordFilter {
        activity_id: Some("WriteLine1".into()),
        ..Default::default()
    };
    assert_eq!(store.count_activity_records(&write_lines).await.unwrap(), 3);
    assert_eq!(
        store.activity_record("a2").await.unwrap().unwrap().status,
        "Running"
    );
    assert!(store.activity_record("zz").await.unwrap().is_none());

    // Bookmarks by stimulus name and by id, with the instance they belong to.
    let events = store.bookmarks_named("Elsa.Event").await.unwrap();
    let of_r1: Vec<_> = events
        .iter()
        .filter(|b| b.workflow_instance_id == "r1")
        .collect();
    assert_eq!(of_r1.len(), 1);
    assert_eq!(of_r1[0].correlation_id.as_deref(), Some("corr-r1"));
    assert_eq!(of_r1[0].bookmark.payload["eventName"], "Approved");
    // By stimulus hash, narrowed to an instance or a correlation id.
    let matching = |instance: Option<&'static str>, correlation: Option<&'static str>| {
        let store = store.clone();
        async move {
            store
                .bookmarks_matching("Elsa.Event", "ABC", instance, correlation)
                .await
                .unwrap()
                .into_iter()
                .filter(|b| {
                    b.workflow_instance_id == "r1" || instance.is_some() || correlation.is_some()
                })
                .count()
        }
    };
    assert_eq!(matching(None, None).await, 1);
    assert_eq!(matching(Some("r1"), None).await, 1);
    assert_eq!(matching(Some("other"), None).await, 0);
    assert_eq!(matching(None, Some("corr-r1")).await, 1);
    assert_eq!(matching(Some("r1"), Some("corr-x")).await, 0);
    assert!(
        store
            .bookmarks_matching("Elsa.Event", "OTHER", None, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .bookmark("rb1")
            .await
            .unwrap()
            .unwrap()
            .workflow_instance_id,
        "r1"
    );

    // System and timestamp filters.
    let only = |f: InstanceFilter| {
        let store = store.clone();
        async move {
            let mut ids = store.ids(&f).await.unwrap();
            ids.retain(|id| id == "r1" || id == "r2");
            ids
        }
    };
    assert_eq!(
        only(InstanceFilter {
            is_system: Some(true),
            ..Default::default()
        })
        .await,
        ["r1"]
    );
    let at = |second| Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, second).unwrap();
    let created = |operator, second| InstanceFilter {
        timestamps: vec![TimestampFilter {
            column: TimestampColumn::CreatedAt,
            operator,
            timestamp: at(second),
        }],
        ..Default::default()
    };
    assert_eq!(
        only(created(TimestampOperator::GreaterThan, 10)).await,
        ["r2"]
    );
    assert_eq!(
        only(created(TimestampOperator::GreaterThanOrEqual, 10)).await,
        ["r1", "r2"]
    );
    assert_eq!(only(created(TimestampOperator::Is, 20)).await, ["r2"]);
    assert_eq!(only(created(TimestampOperator::LessThan, 20)).await, ["r1"]);
    let finished = InstanceFilter {
        timestamps: vec![TimestampFilter {
            column: TimestampColumn::FinishedAt,
            operator: TimestampOperator::LessThanOrEqual,
            timestamp: at(20),
        }],
        ..Default::default()
    };
    assert_eq!(only(finished).await, ["r2"]);

    // Deleting several: everything they own goes with them.
    assert_eq!(
        store
            .delete_many(&["r1".into(), "r2".into(), "missing".into()])
            .await
            .unwrap(),
        2
    );
    assert!(store.get("r1").await.unwrap().is_none());
    assert!(store.bookmark("rb1").await.unwrap().is_none());
    assert_eq!(store.journal("r1", 0, 10).await.unwrap().total_count, 0);
    assert!(store.activity_records("r2").await.unwrap().is_empty());
}

async fn secrets(db: &Database) {
    let store = SecretStore::new(db.clone());
    assert_eq!(
        store.get_or_insert("tokens", "first").await.unwrap(),
        "first"
    );
    assert_eq!(
        store.get_or_insert("tokens", "second").await.unwrap(),
        "first",
        "the first value stays"
    );
}

async fn nodes(db: &Database) {
    let store = elsa_store::NodeStore::new(db.clone());
    let at = |second| Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, second).unwrap();
    let row = |id: &str, beat, claims| elsa_store::NodeRow {
        node_id: id.into(),
        started_at: at(0),
        heartbeat_at: at(beat),
        stopped_at: None,
        data: json!({"claims": claims}),
    };
    store.beat(&row("b", 1, 0)).await.unwrap();
    store.beat(&row("a", 1, 0)).await.unwrap();
    store.beat(&row("a", 30, 7)).await.unwrap();
    let listed = store.list().await.unwrap();
    assert_eq!(
        listed,
        [row("a", 30, 7), row("b", 1, 0)],
        "one row a node, by id"
    );
    assert_eq!(store.forget_silent(at(10)).await.unwrap(), 1);
    assert_eq!(store.list().await.unwrap(), [row("a", 30, 7)]);
}

fn trigger(id: &str, version: &str, name: &str, hash: &str, next: Option<u32>) -> StoredTrigger {
    StoredTrigger {
        id: id.into(),
        definition_id: "t".into(),
        definition_version_id: version.into(),
        name: name.into(),
        activity_id: format!("{id}-activity"),
        hash: hash.into(),
        payload: json!({"path": "/hello", "method": "get"}),
        next_fire_at: next.map(|s| Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, s).unwrap()),
    }
}

/// Triggers are written with their versions, keep their schedule across saves, go with a
/// retract or delete, and a tick moves the schedule on exactly once.
async fn triggers(db: &Database) {
    let definitions = DefinitionStore::new(db.clone());
    let index = TriggerStore::new(db.clone());
    let mut v1 = definition("tv1", "t", 1, "Timed");
    v1.is_published = true;
    let http = trigger("th", "tv1", "Elsa.HttpEndpoint", "H1", None);
    let timer = trigger("tt", "tv1", "Elsa.Timer", "H2", Some(10));
    definitions
        .save(std::slice::from_ref(&v1), &[http.clone(), timer.clone()])
        .await
        .unwrap();
    assert!(definitions.unindexed().await.unwrap().is_empty());
    assert_eq!(
        index.named("Elsa.HttpEndpoint").await.unwrap(),
        std::slice::from_ref(&http)
    );
    assert_eq!(
        index.matching("Elsa.Timer", "H2").await.unwrap(),
        std::slice::from_ref(&timer)
    );
    assert!(
        index
            .matching("Elsa.Timer", "nope")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(index.of_definition("t").await.unwrap().len(), 2);

    // Due at :10; firing it queues the work and moves the schedule to :20, once.
    let at = |s| Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, s).unwrap();
    assert_eq!(index.next_fire_at().await.unwrap(), Some(at(10)));
    assert!(index.due(at(9), 10).await.unwrap().is_empty());
    assert_eq!(
        index.due(at(10), 10).await.unwrap(),
        std::slice::from_ref(&timer)
    );
    let work = new_work("tick-1", at(10), None);
    assert!(
        index
            .fire(db, "tt", at(10), Some(at(20)), &work)
            .await
            .unwrap()
    );
    assert!(
        !index
            .fire(db, "tt", at(10), Some(at(20)), &work)
            .await
            .unwrap(),
        "a tick fires once"
    );
    assert_eq!(index.next_fire_at().await.unwrap(), Some(at(20)));
    let queue = WorkStore::new(db.clone());
    assert_eq!(queue.get("tick-1").await.unwrap().unwrap().due_at, at(10));
    let ticker = Lease {
        owner: "ticker".into(),
        until: at(59),
    };
    let claimed = queue.claim(at(10), &ticker, 10).await.unwrap();
    assert_eq!(claimed.items.len(), 1);
    let done = Fence {
        work_id: "tick-1".into(),
        owner: "ticker".into(),
    };
    assert!(queue.complete(&done).await.unwrap());
    assert!(!queue.complete(&done).await.unwrap(), "gone");

    // Saving the version again (recomputed triggers) keeps the schedule it had.
    definitions
        .save(std::slice::from_ref(&v1), &[http.clone(), timer.clone()])
        .await
        .unwrap();
    assert_eq!(index.next_fire_at().await.unwrap(), Some(at(20)));

    // Retracted: its triggers go in the same save.
    v1.is_published = false;
    definitions
        .save(std::slice::from_ref(&v1), &[])
        .await
        .unwrap();
    assert!(index.of_definition("t").await.unwrap().is_empty());
    assert_eq!(index.next_fire_at().await.unwrap(), None);

    // An upgraded database: a published version without index rows is found.
    v1.is_published = true;
    sqlx_mark_unindexed(db).await;
    definitions
        .save(std::slice::from_ref(&v1), std::slice::from_ref(&timer))
        .await
        .unwrap();
    assert!(definitions.unindexed().await.unwrap().is_empty());
    assert_eq!(definitions.delete_definition("t").await.unwrap(), 1);
    assert!(index.of_definition("t").await.unwrap().is_empty());
}

/// Published versions saved with an empty trigger set count as indexed; this pretends an old
/// database's row (saved before the index existed) by saving without the flag.
async fn sqlx_mark_unindexed(db: &Database) {
    let definitions = DefinitionStore::new(db.clone());
    let mut old = definition("old-v1", "old", 1, "Old");
    old.is_published = true;
    definitions
        .save(std::slice::from_ref(&old), &[])
        .await
        .unwrap();
    elsa_store::with_pool!(db, write, |p| {
        sqlx::query("UPDATE \"Elsa_WorkflowDefinitions\" SET triggers_indexed = $1 WHERE id = $2")
            .bind(false)
            .bind("old-v1")
            .execute(p)
            .await
            .unwrap();
    });
    let unindexed = definitions.unindexed().await.unwrap();
    assert_eq!(unindexed.len(), 1);
    assert_eq!(unindexed[0].id, "old-v1");
    definitions.delete_definition("old").await.unwrap();
}

fn new_work(id: &str, due_at: chrono::DateTime<Utc>, lease: Option<Lease>) -> NewWork {
    NewWork {
        id: id.into(),
        kind: "Resume".into(),
        due_at,
        workflow_instance_id: Some("wi".into()),
        payload: json!({"bookmarkId": id}),
        lease,
    }
}

/// Work is claimed when due and not leased, leased work is skipped until its lease runs out,
/// failed work comes back later or is dead-lettered, and an instance commit removes the work
/// it did and queues the work it causes in the same transaction.
async fn work_queue(db: &Database) {
    let queue = WorkStore::new(db.clone());
    let at = |s| Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap() + chrono::TimeDelta::seconds(s);
    let node = |name: &str, until| Lease {
        owner: name.into(),
        until,
    };
    queue
        .insert(
            &[
                new_work("w-due", at(10), None),
                new_work("w-later", at(30), None),
                new_work("w-mine", at(5), Some(node("a", at(20)))),
            ],
            at(0),
        )
        .await
        .unwrap();
    // Inserting an id again changes nothing.
    queue
        .insert(&[new_work("w-due", at(50), None)], at(0))
        .await
        .unwrap();
    assert_eq!(queue.get("w-due").await.unwrap().unwrap().due_at, at(10));
    assert_eq!(
        queue.next_due(at(0)).await.unwrap(),
        Some(at(10)),
        "w-mine is leased"
    );

    let claim = queue.claim(at(10), &node("b", at(40)), 10).await.unwrap();
    assert_eq!(claim.expired_leases, 0);
    let claimed = claim.items;
    let ids: Vec<&str> = claimed.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, ["w-due"]);
    assert_eq!(claimed[0].attempts, 1);
    assert_eq!(claimed[0].locked_by.as_deref(), Some("b"));
    assert!(
        queue
            .claim(at(10), &node("c", at(40)), 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // a's lease on w-mine ran out at :20: another node takes it over.
    let claim = queue.claim(at(21), &node("c", at(60)), 10).await.unwrap();
    assert_eq!(claim.expired_leases, 1, "a's lease ran out");
    let taken = claim.items;
    assert_eq!(
        taken.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(),
        ["w-mine"]
    );
    assert_eq!(taken[0].attempts, 2);
    queue
        .renew(&["w-mine".into()], &node("c", at(90)))
        .await
        .unwrap();
    assert_eq!(
        queue.get("w-mine").await.unwrap().unwrap().locked_until,
        Some(at(90))
    );
    assert_eq!(queue.release("c").await.unwrap(), 1);
    assert_eq!(queue.get("w-mine").await.unwrap().unwrap().locked_by, None);

    // A failed attempt comes back later with its error; the last one is dead-lettered. Only
    // the node holding the lease can do either.
    let held_by = |id: &str, owner: &str| Fence {
        work_id: id.into(),
        owner: owner.into(),
    };
    assert!(
        !queue
            .retry_later(&held_by("w-due", "c"), at(45), "not mine")
            .await
            .unwrap()
    );
    assert!(
        queue
            .retry_later(&held_by("w-due", "b"), at(45), "it broke")
            .await
            .unwrap()
    );
    let retried = queue.get("w-due").await.unwrap().unwrap();
    assert_eq!(
        (retried.due_at, retried.last_error.as_deref()),
        (at(45), Some("it broke"))
    );
    let claim = queue.claim(at(31), &node("d", at(80)), 10).await.unwrap();
    assert!(claim.items.iter().any(|w| w.id == "w-later"));
    assert!(
        !queue
            .dead_letter(&held_by("w-later", "b"), "not mine")
            .await
            .unwrap()
    );
    assert!(
        queue
            .dead_letter(&held_by("w-later", "d"), "gave up")
            .await
            .unwrap()
    );
    assert!(
        queue
            .claim(at(59), &node("d", at(99)), 10)
            .await
            .unwrap()
            .items
            .iter()
            .all(|w| w.id != "w-later"),
        "dead letters are never claimed"
    );
    let dead = queue
        .list(&WorkFilter {
            status: Some(WorkStatus::DeadLettered),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(dead.total_count, 1);
    assert_eq!(dead.items[0].last_error.as_deref(), Some("gave up"));

    // Work fans out: one row replaced by others, once.
    queue
        .insert(&[new_work("fan", at(1), Some(node("e", at(99))))], at(0))
        .await
        .unwrap();
    let parts = [
        new_work("fan-1", at(1), None),
        new_work("fan-2", at(1), None),
    ];
    assert!(
        !queue
            .replace(&held_by("fan", "f"), &parts, at(1))
            .await
            .unwrap(),
        "only the holder"
    );
    assert!(queue.get("fan-1").await.unwrap().is_none());
    assert!(
        queue
            .replace(&held_by("fan", "e"), &parts, at(1))
            .await
            .unwrap()
    );
    assert!(
        !queue
            .replace(&held_by("fan", "e"), &parts, at(1))
            .await
            .unwrap()
    );
    assert!(queue.get("fan-2").await.unwrap().is_some());

    // An instance commit does work and causes work in one transaction.
    let instances = InstanceStore::new(db.clone());
    let instance =
        WorkflowInstance::from_state(state("wq1", WorkflowSubStatus::Suspended, 1), false);
    instances
        .commit(InstanceCommit {
            instance: &instance,
            expected_version: None,
            bookmarks: &[],
            journal: &[],
            activity_records: &[],
            work: &[new_work("caused", at(70), None)],
            done_work: &["fan-1".into()],
            fence: None,
        })
        .await
        .unwrap();
    assert!(queue.get("fan-1").await.unwrap().is_none());
    assert!(queue.get("caused").await.unwrap().is_some());
    // A commit that loses its race neither removes nor queues anything.
    let stale = instances
        .commit(InstanceCommit {
            instance: &instance,
            expected_version: Some(7),
            bookmarks: &[],
            journal: &[],
            activity_records: &[],
            work: &[new_work("never", at(70), None)],
            done_work: &["fan-2".into()],
            fence: None,
        })
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict { .. })));
    assert!(queue.get("fan-2").await.unwrap().is_some());
    assert!(queue.get("never").await.unwrap().is_none());

    // The commit of claimed work holds only while its node still holds the lease (fencing):
    // a node whose lease ran out and was taken over changes nothing.
    queue
        .insert(&[new_work("fenced", at(1), Some(node("f", at(99))))], at(0))
        .await
        .unwrap();
    let fenced =
        WorkflowInstance::from_state(state("wq-fenced", WorkflowSubStatus::Finished, 1), false);
    let late = held_by("fenced", "g");
    let lost = instances
        .commit(InstanceCommit {
            instance: &fenced,
            expected_version: None,
            bookmarks: &[],
            journal: &[],
            activity_records: &[],
            work: &[new_work("after-lost", at(70), None)],
            done_work: &[],
            fence: Some(&late),
        })
        .await;
    assert!(
        matches!(lost, Err(StoreError::LeaseLost { ref work_id }) if work_id == "fenced"),
        "{lost:?}"
    );
    assert!(instances.get("wq-fenced").await.unwrap().is_none());
    assert!(queue.get("after-lost").await.unwrap().is_none());
    assert!(queue.get("fenced").await.unwrap().is_some());
    let holder = held_by("fenced", "f");
    instances
        .commit(InstanceCommit {
            instance: &fenced,
            expected_version: None,
            bookmarks: &[],
            journal: &[],
            activity_records: &[],
            work: &[],
            done_work: &[],
            fence: Some(&holder),
        })
        .await
        .unwrap();
    assert!(queue.get("fenced").await.unwrap().is_none());
    assert!(instances.get("wq-fenced").await.unwrap().is_some());
    // Deleting an instance deletes its work.
    let mut own = new_work("own", at(70), None);
    own.workflow_instance_id = Some("wq1".into());
    queue.insert(&[own], at(0)).await.unwrap();
    assert_eq!(instances.delete_many(&["wq1".into()]).await.unwrap(), 1);
    assert!(queue.get("own").await.unwrap().is_none());
}

/// A database written in the row-per-record layout — by the statements that layout's server
/// ran — reads the same after the migration to segments (`20261205000000_CompactRunRecords`),
/// and takes new commits on top of the converted rows.
async fn layout_migration(settings: DbSettings) {
    const LAST_OF_ROW_LAYOUT: &str = "20261204000000_AddNodes";
    let db = Database::connect(&settings).await.expect("connect");
    migrate::migrate(&settings, &db, Module::Management, &mut |_| {})
        .await
        .unwrap();
    migrate::migrate_to(
        &settings,
        &db,
        Module::Runtime,
        Some(LAST_OF_ROW_LAYOUT),
        &mut |_| {},
    )
    .await
    .unwrap();

    let instance =
        WorkflowInstance::from_state(state("m1", WorkflowSubStatus::Suspended, 5), false);
    let journal: Vec<WorkflowExecutionLogRecord> = (0..5)
        .map(|n| {
            let mut r = log("m1", n);
            if n == 3 {
                r.event_name = Some("Completed".into());
            }
            r
        })
        .collect();
    let records = [
        record("m1", "a1", "Workflow1:WriteLine1", 1, true),
        record("m1", "a2", "Workflow1:Event1", 2, false),
    ];
    let other = record("m2", "b1", "Workflow1:WriteLine1", 3, true);
    elsa_store::with_pool!(&db, write, |p| {
        sqlx::query(
            "INSERT INTO \"Elsa_WorkflowInstances\" (id, definition_id, definition_version_id, definition_version, \
             parent_workflow_instance_id, status, sub_status, correlation_id, name, incident_count, is_system, \
             is_executing, created_at, updated_at, finished_at, version, data) \
             VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, NULL, 0, $8, $9, $10, $11, NULL, 3, $12)",
        )
        .bind(&instance.id)
        .bind(&instance.definition_id)
        .bind(&instance.definition_version_id)
        .bind(instance.version)
        .bind(instance.status.as_str())
        .bind(instance.sub_status.as_str())
        .bind(&instance.correlation_id)
        .bind(instance.is_system)
        .bind(instance.is_executing)
        .bind(instance.created_at)
        .bind(instance.updated_at)
        .bind(sqlx::types::Json(&instance))
        .execute(p)
        .await
        .unwrap();
        // Out of order, as concurrent writers may leave them.
        for i in [3, 0, 4, 1, 2] {
            let r = &journal[i];
            sqlx::query(
                "INSERT INTO \"Elsa_WorkflowExecutionLogRecords\" (id, workflow_instance_id, sequence, \"timestamp\", \
                 activity_id, activity_node_id, activity_type, event_name, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&r.id)
            .bind(&*r.workflow_instance_id)
            .bind(r.sequence)
            .bind(r.timestamp)
            .bind(&*r.activity_id)
            .bind(&*r.activity_node_id)
            .bind(&*r.activity_type)
            .bind(r.event_name.as_deref())
            .bind(sqlx::types::Json(r))
            .execute(p)
            .await
            .unwrap();
        }
        for r in records.iter().rev().chain([&other]) {
            sqlx::query(
                "INSERT INTO \"Elsa_ActivityExecutionRecords\" (id, workflow_instance_id, activity_id, activity_node_id, \
                 activity_type, activity_name, status, has_bookmarks, started_at, completed_at, data) \
                 VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $9, $10)",
            )
            .bind(&r.id)
            .bind(&*r.workflow_instance_id)
            .bind(&*r.activity_id)
            .bind(&*r.activity_node_id)
            .bind(&*r.activity_type)
            .bind(&r.status)
            .bind(r.has_bookmarks)
            .bind(r.started_at)
            .bind(r.completed_at)
            .bind(sqlx::types::Json(r))
            .execute(p)
            .await
            .unwrap();
        }
    });

    let applied = migrate::migrate(&settings, &db, Module::Runtime, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(applied[0], "20261205000000_CompactRunRecords");

    let store = InstanceStore::new(db.clone());
    assert_eq!(store.get("m1").await.unwrap(), Some((instance.clone(), 3)));
    let page = store.journal("m1", 0, 100).await.unwrap();
    assert_eq!((page.total_count, page.items), (5, journal.clone()));
    let page = store.journal("m1", 1, 2).await.unwrap();
    assert_eq!(page.items, journal[1..3]);
    let completed = JournalFilter {
        event_names: vec!["Completed".into()],
        ..Default::default()
    };
    let page = store
        .journal_filtered("m1", &completed, 0, 10)
        .await
        .unwrap();
    assert_eq!(page.items, journal[3..4]);
    assert_eq!(store.activity_records("m1").await.unwrap(), records);
    assert_eq!(
        store.activity_record("a2").await.unwrap().as_ref(),
        Some(&records[1]),
        "found by an id of the old shape"
    );
    assert_eq!(store.activity_record("b1").await.unwrap(), Some(other));
    let running = ActivityRecordFilter {
        completed: Some(false),
        ..Default::default()
    };
    assert_eq!(store.count_activity_records(&running).await.unwrap(), 1);

    // The next run of the converted instance: it completes a2, starts a record with an id of
    // the server's shape and appends two journal records.
    let mut resumed = instance.clone();
    resumed.workflow_state.sub_status = WorkflowSubStatus::Finished;
    resumed.workflow_state.status = WorkflowStatus::Finished;
    let resumed = WorkflowInstance::from_state(resumed.workflow_state, false);
    let mut a2 = record("m1", "a2", "Workflow1:Event1", 2, true);
    a2.status = "Completed".into();
    let a3 = record("m1", "m10123456789abcdef", "Workflow1:WriteLine1", 4, true);
    let appended = [log("m1", 5), log("m1", 6)];
    store
        .commit(InstanceCommit {
            instance: &resumed,
            expected_version: Some(3),
            bookmarks: &[],
            journal: &appended,
            activity_records: &[a2.clone(), a3.clone()],
            work: &[],
            done_work: &[],
            fence: None,
        })
        .await
        .unwrap();
    assert_eq!(store.get("m1").await.unwrap(), Some((resumed, 4)));
    assert_eq!(
        store.activity_records("m1").await.unwrap(),
        [records[0].clone(), a2.clone(), a3.clone()]
    );
    assert_eq!(store.activity_record("a2").await.unwrap(), Some(a2));
    assert_eq!(
        store.activity_record("m10123456789abcdef").await.unwrap(),
        Some(a3)
    );
    let page = store.journal("m1", 4, 10).await.unwrap();
    assert_eq!(page.total_count, 7);
    assert_eq!(
        page.items.iter().map(|r| r.sequence).collect::<Vec<_>>(),
        [4, 5, 6],
        "a page across the converted segment and the new one"
    );
    assert_eq!(
        store
            .last_journal_record("m1", "WriteLine1")
            .await
            .unwrap()
            .map(|r| r.sequence),
        Some(6)
    );

    assert!(store.delete("m1").await.unwrap());
    assert_eq!(store.activity_record("a2").await.unwrap(), None);
    assert!(store.activity_records("m1").await.unwrap().is_empty());
    db.close().await;
}

#[tokio::test]
async fn sqlite_layout_migration() {
    let dir = tempfile::tempdir().unwrap();
    layout_migration(DbSettings::Sqlite(SqliteSettings {
        filename: dir.path().join("elsa.db").to_string_lossy().into_owned(),
        ..Default::default()
    }))
    .await;
}

#[tokio::test]
async fn postgres_layout_migration() {
    let pg = TestPg::new().await;
    layout_migration(DbSettings::PostgreSql(pg.settings.clone())).await;
}
