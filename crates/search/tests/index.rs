//! The index through its public API: applying outbox changes, who sees
//! what, facets, snippets and sorting.

use qiao_search::{
    Audience, Change, Doc, DocKind, Results, SearchError, SearchIndex, SearchQuery, SortBy,
};

fn doc(kind: DocKind, id: i64, title: &str, body: &str) -> Doc {
    Doc {
        kind,
        id,
        external_id: Some(format!("ext-{id}")),
        title: title.to_string(),
        body: body.to_string(),
        keywords: Vec::new(),
        fields: Vec::new(),
        org_id: 1,
        org_name: "南京理工大学".to_string(),
        org_kind: "university".to_string(),
        region: "江苏省南京市".to_string(),
        region_scope: "domestic".to_string(),
        modes: Vec::new(),
        trl: None,
        status: match kind {
            DocKind::Need => "matched".to_string(),
            DocKind::Capability => "published".to_string(),
        },
        visibility: "public".to_string(),
        org_review: "approved".to_string(),
        org_deleted: false,
        updated_at: 1_700_000_000 + id,
    }
}

fn search(index: &SearchIndex, text: &str, audience: Audience) -> Results {
    index
        .search(&SearchQuery::new(text, audience))
        .expect("search")
}

fn ids(results: &Results) -> Vec<i64> {
    results.hits.iter().map(|h| h.id).collect()
}

fn facet(results: &Results, key: &str, value: &str) -> u64 {
    results.facets[key]
        .iter()
        .find(|f| f.value == value)
        .map_or(0, |f| f.count)
}

#[test]
fn upserts_replace_and_deletes_remove() {
    let index = SearchIndex::open_in_ram(&[]).unwrap();
    assert_eq!(index.applied_seq(), 0);
    index
        .apply(
            vec![
                Change::Upsert(doc(DocKind::Capability, 1, "动力电池热管理", "液冷板设计")),
                Change::Upsert(doc(DocKind::Need, 1, "储能电池寿命预测", "需要算法")),
            ],
            5,
        )
        .unwrap();
    assert_eq!(index.num_docs(), 2);
    assert_eq!(index.applied_seq(), 5);
    // Same id, different kinds: two listings.
    assert_eq!(search(&index, "电池", Audience::Public).total, 2);

    // An upsert replaces the listing of the same kind and id.
    index
        .apply(
            vec![Change::Upsert(doc(
                DocKind::Capability,
                1,
                "数控机床误差补偿",
                "五轴",
            ))],
            6,
        )
        .unwrap();
    assert_eq!(index.num_docs(), 2);
    let results = search(&index, "电池", Audience::Public);
    assert_eq!(results.total, 1);
    assert_eq!(results.hits[0].kind, DocKind::Need);
    assert_eq!(ids(&search(&index, "数控机床", Audience::Public)), vec![1]);

    index
        .apply(
            vec![Change::Delete {
                kind: DocKind::Need,
                id: 1,
            }],
            7,
        )
        .unwrap();
    assert_eq!(index.num_docs(), 1);
    assert_eq!(search(&index, "电池", Audience::Public).total, 0);
    assert_eq!(index.applied_seq(), 7);
}

#[test]
fn applied_seq_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(dir.path(), &["热管理".to_string()]).unwrap();
        assert_eq!(index.applied_seq(), 0);
        index
            .apply(
                vec![Change::Upsert(doc(
                    DocKind::Capability,
                    3,
                    "电池热管理",
                    "相变材料",
                ))],
                42,
            )
            .unwrap();
    }
    let index = SearchIndex::open(dir.path(), &["热管理".to_string()]).unwrap();
    assert_eq!(index.applied_seq(), 42);
    assert_eq!(index.num_docs(), 1);
    assert_eq!(ids(&search(&index, "热管理", Audience::Public)), vec![3]);
}

#[test]
fn staff_only_and_unapproved_listings_are_hidden_from_the_public() {
    let index = SearchIndex::open_in_ram(&[]).unwrap();
    let mut staff_only = doc(DocKind::Need, 1, "氢燃料电池电堆", "内部需求");
    staff_only.visibility = "staff_only".to_string();
    staff_only.org_id = 7;
    staff_only.fields = vec!["new_energy".to_string()];
    let mut public = doc(DocKind::Need, 2, "燃料电池催化剂", "公开需求");
    public.org_id = 8;
    public.fields = vec!["new_materials".to_string()];
    let mut unapproved = doc(DocKind::Capability, 3, "燃料电池膜电极", "待审核单位");
    unapproved.org_review = "pending".to_string();
    unapproved.org_id = 9;
    let mut draft = doc(DocKind::Need, 4, "燃料电池双极板", "草稿");
    draft.status = "draft".to_string();
    draft.org_id = 7;
    let mut unpublished = doc(DocKind::Capability, 5, "燃料电池测试", "未发布");
    unpublished.status = "draft".to_string();
    unpublished.org_id = 8;
    index
        .apply(
            [staff_only, public, unapproved, draft, unpublished]
                .into_iter()
                .map(Change::Upsert)
                .collect(),
            1,
        )
        .unwrap();

    for audience in [Audience::Public, Audience::Member(8)] {
        let results = search(&index, "燃料电池", audience);
        let visible = if audience == Audience::Public {
            vec![2]
        } else {
            vec![2, 5]
        };
        let mut got = ids(&results);
        got.sort();
        assert_eq!(got, visible, "{audience:?}");
        assert_eq!(results.total, visible.len(), "{audience:?}");
        assert_eq!(facet(&results, "field", "new_energy"), 0, "{audience:?}");
        assert_eq!(facet(&results, "field", "new_materials"), 1, "{audience:?}");
        // Listing everything shows no more.
        assert_eq!(search(&index, "", audience).total, visible.len());
    }

    let owner = search(&index, "燃料电池", Audience::Member(7));
    let mut got = ids(&owner);
    got.sort();
    assert_eq!(got, vec![1, 2, 4]);
    assert_eq!(facet(&owner, "field", "new_energy"), 1);

    let all = search(&index, "燃料电池", Audience::All);
    assert_eq!(all.total, 5);
}

#[test]
fn facets_count_every_match_and_follow_filters() {
    let index = SearchIndex::open_in_ram(&[]).unwrap();
    let mut a = doc(DocKind::Capability, 1, "锂电池正极材料", "高镍三元");
    a.fields = vec!["new_energy".to_string(), "new_materials".to_string()];
    a.modes = vec!["transfer".to_string(), "license".to_string()];
    a.trl = Some(5);
    let mut b = doc(DocKind::Capability, 2, "锂电池回收", "湿法冶金");
    b.fields = vec!["new_energy".to_string()];
    b.modes = vec!["transfer".to_string()];
    b.trl = Some(8);
    b.org_kind = "research_institute".to_string();
    b.region = "高新区".to_string();
    b.region_scope = "local".to_string();
    let mut c = doc(DocKind::Need, 3, "锂电池检测", "需要检测设备");
    c.fields = vec!["new_energy".to_string()];
    c.trl = Some(2);
    c.org_kind = "enterprise".to_string();
    index
        .apply([a, b, c].into_iter().map(Change::Upsert).collect(), 1)
        .unwrap();

    let results = search(&index, "锂电池", Audience::Public);
    assert_eq!(results.total, 3);
    let keys: Vec<&str> = results.facets.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["field", "maturity", "mode", "org_kind", "region", "status"]
    );
    assert_eq!(facet(&results, "field", "new_energy"), 3);
    assert_eq!(results.facets["field"][0].value, "new_energy");
    assert_eq!(facet(&results, "field", "new_materials"), 1);
    assert_eq!(facet(&results, "mode", "transfer"), 2);
    assert_eq!(facet(&results, "mode", "license"), 1);
    assert_eq!(facet(&results, "maturity", "bench"), 1);
    assert_eq!(facet(&results, "maturity", "industrial"), 1);
    assert_eq!(facet(&results, "maturity", "laboratory"), 1);
    assert_eq!(facet(&results, "org_kind", "university"), 1);
    assert_eq!(facet(&results, "region", "domestic"), 2);
    assert_eq!(facet(&results, "region", "local"), 1);
    assert_eq!(facet(&results, "status", "published"), 2);
    assert_eq!(facet(&results, "status", "matched"), 1);

    let mut q = SearchQuery::new("锂电池", Audience::Public);
    q.kind = Some(DocKind::Capability);
    q.mode = Some("transfer".to_string());
    let filtered = index.search(&q).unwrap();
    assert_eq!(filtered.total, 2);
    assert_eq!(facet(&filtered, "field", "new_energy"), 2);
    assert_eq!(facet(&filtered, "status", "matched"), 0);

    let mut q = SearchQuery::new("锂电池", Audience::Public);
    q.trl_min = Some(4);
    q.trl_max = Some(6);
    assert_eq!(ids(&index.search(&q).unwrap()), vec![1]);
    q.trl_max = None;
    let mut got = ids(&index.search(&q).unwrap());
    got.sort();
    assert_eq!(got, vec![1, 2]);

    // Region matches the scope or the exact region.
    let mut q = SearchQuery::new("", Audience::Public);
    q.region = Some("local".to_string());
    assert_eq!(ids(&index.search(&q).unwrap()), vec![2]);
    q.region = Some("江苏省南京市".to_string());
    assert_eq!(index.search(&q).unwrap().total, 2);

    let mut q = SearchQuery::new("", Audience::Public);
    q.field = Some("new_materials".to_string());
    q.org_kind = Some("university".to_string());
    q.status = Some("published".to_string());
    assert_eq!(ids(&index.search(&q).unwrap()), vec![1]);
}

#[test]
fn snippets_mark_terms_and_escape_html() {
    let index = SearchIndex::open_in_ram(&[]).unwrap();
    index
        .apply(
            vec![
                Change::Upsert(doc(
                    DocKind::Capability,
                    1,
                    "电池管理系统",
                    "<script>alert(1)</script> 本团队研发动力电池热管理技术 & 工艺",
                )),
                Change::Upsert(doc(DocKind::Capability, 2, "储能电池", "无关的描述")),
            ],
            1,
        )
        .unwrap();
    let results = search(&index, "电池", Audience::Public);
    let first = results.hits.iter().find(|h| h.id == 1).unwrap();
    assert!(
        first.snippet.contains("<mark>电池</mark>"),
        "{}",
        first.snippet
    );
    assert!(
        first.snippet.contains("&lt;script&gt;"),
        "{}",
        first.snippet
    );
    assert!(first.snippet.contains("&amp;"), "{}", first.snippet);
    assert!(!first.snippet.contains("<script>"), "{}", first.snippet);
    assert_eq!(first.title, "电池管理系统");
    assert_eq!(first.org_name, "南京理工大学");
    assert_eq!(first.external_id.as_deref(), Some("ext-1"));
    // No match in the body: the title is the snippet.
    let second = results.hits.iter().find(|h| h.id == 2).unwrap();
    assert_eq!(second.snippet, "储能<mark>电池</mark>");
}

#[test]
fn traditional_and_full_width_queries_find_simplified_text() {
    let index = SearchIndex::open_in_ram(&[]).unwrap();
    index
        .apply(
            vec![
                Change::Upsert(doc(DocKind::Capability, 1, "动力电池", "PLC控制")),
                Change::Upsert(doc(DocKind::Capability, 2, "光伏组件", "逆变器")),
            ],
            1,
        )
        .unwrap();
    let results = search(&index, "動力電池", Audience::Public);
    assert_eq!(ids(&results), vec![1]);
    assert!(
        results.hits[0].snippet.contains("<mark>"),
        "{}",
        results.hits[0].snippet
    );
    assert_eq!(ids(&search(&index, "ＰＬＣ", Audience::Public)), vec![1]);
    assert_eq!(ids(&search(&index, "电池", Audience::Public)), vec![1]);
}

#[test]
fn empty_text_lists_by_recency_and_pages() {
    let index = SearchIndex::open_in_ram(&[]).unwrap();
    let mut docs = Vec::new();
    for (id, updated_at) in [(1, 300), (2, 100), (3, 500), (4, 200)] {
        let mut d = doc(DocKind::Capability, id, "标题", "内容");
        d.updated_at = updated_at;
        docs.push(Change::Upsert(d));
    }
    index.apply(docs, 1).unwrap();
    let results = search(&index, "   ", Audience::Public);
    assert_eq!(results.total, 4);
    assert_eq!(ids(&results), vec![3, 1, 4, 2]);

    let mut q = SearchQuery::new("", Audience::Public);
    q.limit = 2;
    q.offset = 1;
    assert_eq!(ids(&index.search(&q).unwrap()), vec![1, 4]);
    q.limit = 0;
    let counted = index.search(&q).unwrap();
    assert!(counted.hits.is_empty());
    assert_eq!(counted.total, 4);

    let mut q = SearchQuery::new("标题", Audience::Public);
    q.sort = SortBy::Updated;
    assert_eq!(ids(&index.search(&q).unwrap()), vec![3, 1, 4, 2]);
}

#[test]
fn relevance_puts_the_exact_term_and_the_title_first() {
    let index = SearchIndex::open_in_ram(&[]).unwrap();
    index
        .apply(
            vec![
                Change::Upsert(doc(DocKind::Capability, 1, "光伏组件清洗机器人", "电池板")),
                Change::Upsert(doc(
                    DocKind::Capability,
                    2,
                    "锂离子电池正极材料",
                    "高镍三元正极材料的包覆改性",
                )),
                Change::Upsert(doc(DocKind::Capability, 3, "正极保护", "离子交换树脂")),
            ],
            1,
        )
        .unwrap();
    let results = search(&index, "锂离子电池 正极材料", Audience::Public);
    assert_eq!(results.hits[0].id, 2);
    assert!(results.hits[0].score > results.hits[1].score);
}

#[test]
fn queries_without_words_are_rejected() {
    let index = SearchIndex::open_in_ram(&[]).unwrap();
    for text in ["，。！？", "《》——", "..."] {
        match index.search(&SearchQuery::new(text, Audience::Public)) {
            Err(SearchError::InvalidQuery(_)) => {}
            other => panic!("{text:?}: expected InvalidQuery, got {other:?}"),
        }
    }
    let long = "电池".repeat(251);
    assert!(matches!(
        index.search(&SearchQuery::new(&long, Audience::Public)),
        Err(SearchError::InvalidQuery(_))
    ));
}

#[test]
fn the_index_is_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SearchIndex>();

    let index = std::sync::Arc::new(SearchIndex::open_in_ram(&[]).unwrap());
    let writer = {
        let index = index.clone();
        std::thread::spawn(move || {
            for seq in 1..=20 {
                let d = doc(DocKind::Capability, seq, "电池", "内容");
                index.apply(vec![Change::Upsert(d)], seq).unwrap();
            }
        })
    };
    for _ in 0..20 {
        search(&index, "电池", Audience::All);
    }
    writer.join().unwrap();
    assert_eq!(search(&index, "电池", Audience::All).total, 20);
    assert_eq!(index.applied_seq(), 20);
}

#[test]
fn an_index_of_another_layout_is_recreated_empty() {
    use tantivy::schema::{Schema, TEXT};
    let dir = tempfile::tempdir().unwrap();
    {
        let mut builder = Schema::builder();
        let text = builder.add_text_field("text", TEXT);
        let index = tantivy::Index::create_in_dir(dir.path(), builder.build()).unwrap();
        let mut writer: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
        writer.add_document(tantivy::doc!(text => "old")).unwrap();
        writer.commit().unwrap();
    }
    let index = SearchIndex::open(dir.path(), &[]).unwrap();
    assert_eq!(index.num_docs(), 0);
    assert_eq!(index.applied_seq(), 0);
    index
        .apply(vec![Change::Upsert(doc(DocKind::Need, 1, "电池", ""))], 3)
        .unwrap();
    drop(index);
    let index = SearchIndex::open(dir.path(), &[]).unwrap();
    assert_eq!((index.num_docs(), index.applied_seq()), (1, 3));
}

#[test]
fn blank_filters_are_ignored() {
    let index = SearchIndex::open_in_ram(&[]).unwrap();
    index
        .apply(vec![Change::Upsert(doc(DocKind::Need, 1, "电池", ""))], 1)
        .unwrap();
    let mut q = SearchQuery::new("", Audience::Public);
    q.field = Some(String::new());
    q.region = Some(" ".to_string());
    assert_eq!(index.search(&q).unwrap().total, 1);
    q.limit = usize::MAX;
    q.offset = usize::MAX;
    let results = index.search(&q).unwrap();
    assert_eq!((results.total, results.hits.len()), (1, 0));
}

#[test]
fn keywords_field_labels_and_organization_names_are_searchable() {
    let index = SearchIndex::open_in_ram(&["热管理".to_string()]).unwrap();
    let mut a = doc(DocKind::Capability, 1, "液冷板设计", "铝合金钎焊");
    a.keywords = vec!["热管理".to_string()];
    let mut b = doc(DocKind::Capability, 2, "叶片检测", "无损检测");
    b.fields = vec!["marine_equipment".to_string()];
    let mut c = doc(DocKind::Need, 3, "工艺改进", "提升良率");
    c.org_name = "常州光伏科技有限公司".to_string();
    index
        .apply([a, b, c].into_iter().map(Change::Upsert).collect(), 1)
        .unwrap();
    assert_eq!(ids(&search(&index, "热管理", Audience::Public)), vec![1]);
    assert_eq!(ids(&search(&index, "海工装备", Audience::Public)), vec![2]);
    assert_eq!(ids(&search(&index, "光伏", Audience::Public)), vec![3]);
}

#[test]
fn optimize_merges_batches_into_one_segment_and_keeps_the_position() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(dir.path(), &[]).unwrap();
        for batch in 0..5 {
            let changes = (0..20)
                .map(|i| {
                    let id = batch * 20 + i;
                    Change::Upsert(doc(
                        DocKind::Capability,
                        id,
                        &format!("电池热管理 {id}"),
                        "液冷",
                    ))
                })
                .collect();
            index.apply(changes, batch + 1).unwrap();
        }
        assert!(index.num_segments() > 1, "each commit leaves a segment");
        index.optimize().unwrap();
        assert_eq!(index.num_segments(), 1);
        assert_eq!(index.num_docs(), 100);
        let r = index
            .search(&SearchQuery::new("热管理", Audience::All))
            .unwrap();
        assert_eq!(r.total, 100);
    }
    let reopened = SearchIndex::open(dir.path(), &[]).unwrap();
    assert_eq!(
        reopened.applied_seq(),
        5,
        "the commit position survives the merge"
    );
    assert_eq!(reopened.num_segments(), 1);
    assert_eq!(reopened.num_docs(), 100);
}

/// The index's audience tag and query filter agree with the one visibility
/// rule of `qiao_core::access` on every combination of the facts the index
/// holds (deleted listings are not in the index).
#[test]
fn audience_filter_agrees_with_the_rule_on_every_combination() {
    use qiao_core::access::{ListingKind, all_fact_combinations};
    let index = SearchIndex::open_in_ram(&[]).unwrap();
    let mut docs = Vec::new();
    for (kind, listing) in [
        (DocKind::Need, ListingKind::Need),
        (DocKind::Capability, ListingKind::Capability),
    ] {
        for facts in all_fact_combinations(listing, &[1, 2])
            .into_iter()
            .filter(|f| !f.deleted)
        {
            let id = docs.len() as i64 + 1;
            let mut d = doc(kind, id, "锂电池隔膜", "涂覆工艺");
            d.org_id = facts.org_id;
            d.status = facts.status.to_string();
            d.visibility = facts.visibility.to_string();
            d.org_review = facts.org_review.to_string();
            d.org_deleted = facts.org_deleted;
            docs.push((d, facts));
        }
    }
    let changes = docs
        .iter()
        .map(|(d, _)| Change::Upsert(d.clone()))
        .collect();
    index.apply(changes, 1).unwrap();
    for audience in [
        Audience::Public,
        Audience::Member(1),
        Audience::Member(2),
        Audience::All,
    ] {
        for kind in [DocKind::Need, DocKind::Capability] {
            let mut want: Vec<i64> = docs
                .iter()
                .filter(|(d, f)| d.kind == kind && f.visible_to(audience))
                .map(|(d, _)| d.id)
                .collect();
            want.sort_unstable();
            for text in ["", "锂电池"] {
                let mut q = SearchQuery::new(text, audience);
                q.kind = Some(kind);
                q.limit = 100;
                let results = index.search(&q).unwrap();
                let mut got = ids(&results);
                got.sort_unstable();
                assert_eq!(got, want, "{kind:?} for {audience:?}, text {text:?}");
                assert_eq!(results.total, want.len(), "total for {audience:?}");
                let facet_total: u64 = results.facets["status"].iter().map(|f| f.count).sum();
                assert_eq!(facet_total as usize, want.len(), "facets for {audience:?}");
            }
        }
    }
}
