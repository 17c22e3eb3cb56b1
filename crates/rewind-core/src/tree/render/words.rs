//! The few words the renderers add around the tree's own texts, in both
//! languages.

use crate::i18n::Lang;

pub(super) fn then(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "ensuite",
        Lang::En => "then",
    }
}

pub(super) fn release_again(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "on recommence",
        Lang::En => "release again",
    }
}

pub(super) fn see_above(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "voir plus haut",
        Lang::En => "see above",
    }
}

pub(super) fn evidence(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "indice",
        Lang::En => "evidence",
    }
}

pub(super) fn exit(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "sortie",
        Lang::En => "exit",
    }
}
