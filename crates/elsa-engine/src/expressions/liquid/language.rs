//! The tags, blocks and filters templates can use: liquid-lib's standard library (what
//! `liquid::ParserBuilder::with_stdlib` registers), with the loops and the variable tags
//! replaced by bounded ones (`loops.rs`, `assign.rs`), every filter wrapped in the value limit
//! (`bounded.rs`), and Elsa's filters (`filters.rs`).

use super::assign::{AssignTag, CaptureBlock};
use super::bounded::Bounded;
use super::filters;
use super::loops::{ForBlock, TableRowBlock};
use liquid_core::{Language, ParseBlock, ParseFilter, ParseTag};
use liquid_lib::stdlib;

pub(super) fn language() -> Language {
    let mut language = Language::empty();
    let tags: [Box<dyn ParseTag>; 8] = [
        Box::new(AssignTag),
        Box::new(stdlib::BreakTag),
        Box::new(stdlib::ContinueTag),
        Box::new(stdlib::CycleTag),
        Box::new(stdlib::IncludeTag),
        Box::new(stdlib::IncrementTag),
        Box::new(stdlib::DecrementTag),
        Box::new(stdlib::RenderTag),
    ];
    for tag in tags {
        language
            .tags
            .register(tag.reflection().tag().to_owned(), tag);
    }
    let blocks: [Box<dyn ParseBlock>; 9] = [
        Box::new(stdlib::RawBlock),
        Box::new(stdlib::IfBlock),
        Box::new(stdlib::UnlessBlock),
        Box::new(stdlib::IfChangedBlock),
        Box::new(ForBlock),
        Box::new(TableRowBlock),
        Box::new(stdlib::CommentBlock),
        Box::new(CaptureBlock),
        Box::new(stdlib::CaseBlock),
    ];
    for block in blocks {
        language
            .blocks
            .register(block.reflection().start_tag().to_owned(), block);
    }
    let filters: Vec<Box<dyn ParseFilter>> = vec![
        Box::new(stdlib::Abs),
        Box::new(stdlib::Append),
        Box::new(stdlib::AtLeast),
        Box::new(stdlib::AtMost),
        Box::new(stdlib::Capitalize),
        Box::new(stdlib::Ceil),
        Box::new(stdlib::Compact),
        Box::new(stdlib::Concat),
        Box::new(stdlib::Date),
        Box::new(stdlib::Default),
        Box::new(stdlib::DividedBy),
        Box::new(stdlib::Downcase),
        Box::new(stdlib::Escape),
        Box::new(stdlib::EscapeOnce),
        Box::new(stdlib::First),
        Box::new(stdlib::Floor),
        Box::new(stdlib::Join),
        Box::new(stdlib::Last),
        Box::new(stdlib::Lstrip),
        Box::new(stdlib::Map),
        Box::new(stdlib::Minus),
        Box::new(stdlib::Modulo),
        Box::new(stdlib::NewlineToBr),
        Box::new(stdlib::Plus),
        Box::new(stdlib::Prepend),
        Box::new(stdlib::Remove),
        Box::new(stdlib::RemoveFirst),
        Box::new(stdlib::Replace),
        Box::new(stdlib::ReplaceFirst),
        Box::new(stdlib::Reverse),
        Box::new(stdlib::Round),
        Box::new(stdlib::Rstrip),
        Box::new(stdlib::Size),
        Box::new(stdlib::Slice),
        Box::new(stdlib::Sort),
        Box::new(stdlib::SortNatural),
        Box::new(stdlib::Split),
        Box::new(stdlib::Strip),
        Box::new(stdlib::StripHtml),
        Box::new(stdlib::StripNewlines),
        Box::new(stdlib::Times),
        Box::new(stdlib::Truncate),
        Box::new(stdlib::TruncateWords),
        Box::new(stdlib::Uniq),
        Box::new(stdlib::Upcase),
        Box::new(stdlib::UrlDecode),
        Box::new(stdlib::UrlEncode),
        Box::new(stdlib::Where),
        Box::new(filters::Base64),
        Box::new(filters::Keys),
    ];
    for filter in filters {
        let filter = Bounded::new(filter);
        language
            .filters
            .register(filter.reflection().name().to_owned(), Box::new(filter));
    }
    language
}

#[cfg(test)]
mod tests {
    use liquid::reflection::ParserReflection;
    use std::collections::BTreeSet;

    /// Nothing of the standard library is missing (the lists above are written out).
    #[test]
    fn has_everything_the_standard_library_has() {
        let language = super::language();
        let stdlib = liquid::ParserBuilder::with_stdlib();
        assert_eq!(
            names(language.tags.plugin_names()),
            names(stdlib.tags().map(|tag| tag.tag()))
        );
        assert_eq!(
            names(language.blocks.plugin_names()),
            names(stdlib.blocks().map(|block| block.start_tag()))
        );
        let mut expected = names(stdlib.filters().map(|filter| filter.name()));
        expected.extend(["base64".to_owned(), "keys".to_owned()]);
        assert_eq!(names(language.filters.plugin_names()), expected);
    }

    fn names<'a>(names: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
        names.map(str::to_owned).collect()
    }
}
