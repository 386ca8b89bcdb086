//! docs/protocol.md and the frame types cannot drift apart: every JSON example decodes into the
//! frame type of the direction its section names, and every frame type has an example.

use super::*;

/// Who sends the frames of a section, from its heading: "(visitor → relay)", "(agent →
/// relay)", or the relay otherwise.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sender {
    Visitor,
    Agent,
    Relay,
}

fn sender_of(heading: &str) -> Sender {
    if heading.contains("(visitor → relay)") {
        Sender::Visitor
    } else if heading.contains("(agent → relay)") || heading.starts_with("### Routing") {
        Sender::Agent
    } else {
        Sender::Relay
    }
}

/// Each JSON example with the heading of the section it is in.
fn examples(doc: &str) -> Vec<(String, String)> {
    let mut heading = String::new();
    let mut found = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if line.starts_with('#') {
            heading = line.to_owned();
        } else if line.trim() == "```json" {
            let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            found.push((heading.clone(), block.join("\n")));
        }
    }
    found
}

#[test]
fn every_example_decodes_as_a_frame_of_its_sections_direction() {
    let doc = include_str!("../../docs/protocol.md");
    let mut seen: Vec<(Sender, String)> = Vec::new();
    for (heading, example) in examples(doc) {
        let sender = sender_of(&heading);
        let kind = match sender {
            Sender::Visitor => decode::<VisitorFrame>(&example, VisitorFrame::TYPES).map(|_| ()),
            Sender::Agent => decode::<AgentFrame>(&example, AgentFrame::TYPES).map(|_| ()),
            Sender::Relay => decode::<ServerFrame>(&example, ServerFrame::TYPES).map(|frame| {
                let json: serde_json::Value = serde_json::from_str(&example).unwrap();
                assert_eq!(json["type"], frame.type_name(), "{example}");
            }),
        };
        assert!(kind.is_ok(), "under {heading:?}, this example is not a {sender:?} frame: {example}: {kind:?}");
        let json: serde_json::Value = serde_json::from_str(&example).unwrap();
        seen.push((sender, json["type"].as_str().unwrap().to_owned()));
    }
    let wanted = [
        (Sender::Visitor, VisitorFrame::TYPES),
        (Sender::Agent, AgentFrame::TYPES),
        (Sender::Relay, ServerFrame::TYPES),
    ];
    for (sender, types) in wanted {
        for kind in types {
            let documented = seen.iter().any(|(s, k)| *s == sender && k == kind);
            assert!(documented, "docs/protocol.md has no example of the {sender:?} frame {kind:?}");
        }
    }
}
