//! No input makes the parser panic; a valid entry, rendered, parses back to itself.

use forklab_limits::*;
use proptest::prelude::*;

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_string()),
        Just("%".to_string()),
        Just("-".to_string()),
        Just("#".to_string()),
        Just("soft".to_string()),
        Just("hard".to_string()),
        Just("unlimited".to_string()),
        Just("\0".to_string()),
        Just("\r".to_string()),
        prop::sample::select(Item::ALL.to_vec()).prop_map(|i| i.name().to_string()),
        "[@%]?[0-9]{0,3}:[0-9]{0,3}",
        "-?[0-9]{1,22}[a-z]?",
        "[a-zA-Z@%]{1,8}",
    ]
}

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            token(),
            prop::sample::select(vec![" ", "\t", "\n", "  ", "\x0b"]),
        ),
        0..40,
    )
    .prop_map(|parts| parts.into_iter().map(|(t, s)| t + s).collect())
}

fn subject() -> Subject {
    Subject {
        user: "bob".into(),
        uid: 1000,
        gid: 1000,
        groups: vec![("dev".into(), 1000)],
    }
}

fn domain() -> impl Strategy<Value = Domain> {
    let ids = prop_oneof![
        any::<u32>().prop_map(IdMatch::Exact),
        any::<u32>().prop_map(IdMatch::AtLeast),
        (any::<u32>(), any::<u32>()).prop_map(|(a, b)| IdMatch::Between(a, b)),
    ];
    prop_oneof![
        "[a-z_][a-z0-9_]{0,7}".prop_map(Domain::User),
        "[a-z_][a-z0-9_]{0,7}".prop_map(Domain::Group),
        ids.clone().prop_map(Domain::Gid),
        ids.prop_map(Domain::Uid),
        Just(Domain::Wildcard),
    ]
}

fn value_for(item: Item) -> BoxedStrategy<Value> {
    match item.value_kind() {
        ValueKind::Flag => any::<bool>().prop_map(Value::Flag).boxed(),
        ValueKind::Path => "/[a-z0-9/._]{0,12}".prop_map(Value::Path).boxed(),
        ValueKind::Int if item == Item::Nice => (-20i32..=19).prop_map(Value::Int).boxed(),
        ValueKind::Int if item == Item::Priority => any::<i32>().prop_map(Value::Int).boxed(),
        ValueKind::Int => {
            prop_oneof![Just(Value::Unlimited), (0i32..).prop_map(Value::Int)].boxed()
        }
        ValueKind::Rlimit => prop_oneof![
            Just(Value::Unlimited),
            (0u64..u64::MAX).prop_map(Value::Number)
        ]
        .boxed(),
    }
}

fn entry() -> impl Strategy<Value = (Domain, LimitType, Item, Value)> {
    let ty = prop::sample::select(vec![LimitType::Soft, LimitType::Hard, LimitType::Both]);
    // Every item Debian's dialect knows (it has no rttime; the test parses as Debian).
    let items: Vec<Item> = Item::ALL
        .into_iter()
        .filter(|&i| Item::from_name(i.name(), Dialect::Debian).is_some())
        .collect();
    (domain(), ty, prop::sample::select(items))
        .prop_flat_map(|(d, t, i)| (Just(d), Just(t), Just(i), value_for(i)))
}

proptest! {
    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        for dialect in [Dialect::Debian, Dialect::Upstream] {
            let parsed = parse("f", &text, dialect);
            resolve(&[parsed], &subject(), dialect);
        }
    }

    #[test]
    fn token_soup_never_panics(text in soup()) {
        for dialect in [Dialect::Debian, Dialect::Upstream] {
            let parsed = parse("f", &text, dialect);
            for p in &parsed.problems {
                prop_assert!(!p.to_string().contains('\n'), "one line: {p}");
            }
            resolve(&[parsed], &subject(), dialect);
        }
    }

    #[test]
    fn a_rendered_entry_parses_back_to_itself((domain, ty, item, value) in entry()) {
        let entry = Entry {
            source: Source { file: "f".into(), line: 1 },
            domain,
            rule: Rule::Set { ty, item, value },
        };
        let parsed = parse("f", &entry.to_line(), Dialect::Debian);
        prop_assert_eq!(&parsed.problems, &vec![]);
        prop_assert_eq!(parsed.entries, vec![entry]);
    }
}
