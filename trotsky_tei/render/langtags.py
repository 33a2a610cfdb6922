"""HTML `lang` values from TEI `xml:lang`: well-formed BCP 47 tags with registered subtags, or nothing.

TEI editions write ISO 639-2/3 codes ("fra", "lat") and private labels ("latinq", "trad") in `xml:lang`; HTML
wants BCP 47 with the shortest registered language subtag, and the Nu HTML checker rejects anything else. The
tables below are ISO 639-2 (languages), ISO 15924 (scripts) and ISO 3166-1 (regions) as the Nu checker's copy of
the IANA language subtag registry accepts them (tests/test_export_features.py runs the checker over every tag
these tables can produce).
"""

from __future__ import annotations

import functools
import re

# ISO 639-2 three-letter codes (terminology and bibliographic) that have a two-letter ISO 639-1 equivalent, which
# BCP 47 requires instead; and the registry's deprecated two-letter codes with their replacements
_TO_TWO = """
    aar:aa abk:ab afr:af aka:ak alb:sq amh:am ara:ar arg:an arm:hy asm:as ava:av ave:ae aym:ay aze:az bak:ba bam:bm
    baq:eu bel:be ben:bn bih:bh bis:bi bod:bo bos:bs bre:br bul:bg bur:my cat:ca ces:cs cha:ch che:ce chi:zh chu:cu
    chv:cv cor:kw cos:co cre:cr cym:cy cze:cs dan:da deu:de div:dv dut:nl dzo:dz ell:el eng:en epo:eo est:et eus:eu
    ewe:ee fao:fo fas:fa fij:fj fin:fi fra:fr fre:fr fry:fy ful:ff geo:ka ger:de gla:gd gle:ga glg:gl glv:gv gre:el
    grn:gn guj:gu hat:ht hau:ha heb:he her:hz hin:hi hmo:ho hrv:hr hun:hu hye:hy ibo:ig ice:is ido:io iii:ii iku:iu
    ile:ie ina:ia ind:id ipk:ik isl:is ita:it jav:jv jpn:ja kal:kl kan:kn kas:ks kat:ka kau:kr kaz:kk khm:km kik:ki
    kin:rw kir:ky kom:kv kon:kg kor:ko kua:kj kur:ku lao:lo lat:la lav:lv lim:li lin:ln lit:lt ltz:lb lub:lu lug:lg
    mac:mk mah:mh mal:ml mao:mi mar:mr may:ms mkd:mk mlg:mg mlt:mt mon:mn mri:mi msa:ms mya:my nau:na nav:nv nbl:nr
    nde:nd ndo:ng nep:ne nld:nl nno:nn nob:nb nor:no nya:ny oci:oc oji:oj ori:or orm:om oss:os pan:pa per:fa pli:pi
    pol:pl por:pt pus:ps que:qu roh:rm ron:ro rum:ro run:rn rus:ru sag:sg san:sa sin:si slk:sk slo:sk slv:sl sme:se
    smo:sm sna:sn snd:sd som:so sot:st spa:es sqi:sq srd:sc srp:sr ssw:ss sun:su swa:sw swe:sv tah:ty tam:ta tat:tt
    tel:te tgk:tg tgl:tl tha:th tib:bo tir:ti ton:to tsn:tn tso:ts tuk:tk tur:tr twi:tw uig:ug ukr:uk urd:ur uzb:uz
    ven:ve vie:vi vol:vo wel:cy wln:wa wol:wo xho:xh yid:yi yor:yo zha:za zho:zh zul:zu
    iw:he in:id ji:yi mo:ro
"""
# ISO 639-2 codes without a two-letter equivalent (valid BCP 47 language subtags as they are); "cnr" (2017) is
# left out: the Nu checker's registry predates it
_THREE = """
    ace ach ada ady afa afh ain akk ale alg alt ang anp apa arc arn arp art arw ast ath aus awa bad bai bal ban bas
    bat bej bem ber bho bik bin bla bnt bra btk bua bug byn cad cai car cau ceb cel chb chg chk chm chn cho chp chr
    chy cmc cop cpe cpf cpp crh crp csb cus dak dar day del den dgr din doi dra dsb dua dum dyu efi egy eka elx enm
    ewo fan fat fil fiu fon frm fro frr frs fur gaa gay gba gem gez gil gmh goh gon gor got grb grc gsw gwi hai haw
    hil him hit hmn hsb hup iba ijo ilo inc ine inh ira iro jbo jpr jrb kaa kab kac kam kar kaw kbd kha khi kho kmb
    kok kos kpe krc krl kro kru kum kut lad lah lam lez lol loz lua lui lun luo lus mad mag mai mak man map mas mdf
    mdr men mga mic min mis mkh mnc mni mno moh mos mul mun mus mwl mwr myn myv nah nai nap nds new nia nic niu nog
    non nqo nso nub nwc nym nyn nyo nzi osa ota oto paa pag pal pam pap pau peo phi phn pon pra pro raj rap rar roa
    rom rup sad sah sai sal sam sas sat scn sco sel sem sga sgn shn sid sio sit sla sma smi smj smn sms snk sog son
    srn srr ssa suk sus sux syc syr tai tem ter tet tig tiv tkl tlh tli tmh tog tpi tsi tum tup tut tvl tyv udm uga
    umb und vai vot wak wal war was wen xal yao yap ypk zap zbl zen zgh znd zun zxx zza
"""
_SCRIPTS = """
    Adlm Afak Aghb Ahom Arab Aran Armi Armn Avst Bali Bamu Bass Batk Beng Bhks Blis Bopo Brah Brai Bugi Buhd Cakm
    Cans Cari Cham Cher Cirt Copt Cprt Cyrl Cyrs Deva Dsrt Dupl Egyd Egyh Egyp Elba Ethi Geok Geor Glag Goth Gran
    Grek Gujr Guru Hanb Hang Hani Hano Hans Hant Hatr Hebr Hira Hluw Hmng Hrkt Hung Inds Ital Jamo Java Jpan Jurc
    Kali Kana Khar Khmr Khoj Kitl Kits Knda Kore Kpel Kthi Lana Laoo Latf Latg Latn Leke Lepc Limb Lina Linb Lisu
    Loma Lyci Lydi Mahj Mand Mani Marc Maya Mend Merc Mero Mlym Modi Mong Moon Mroo Mtei Mult Mymr Narb Nbat Newa
    Nkgb Nkoo Nshu Ogam Olck Orkh Orya Osge Osma Palm Pauc Perm Phag Phli Phlp Phlv Phnx Piqd Plrd Prti Qaaa Qabx
    Rjng Roro Runr Samr Sara Sarb Saur Sgnw Shaw Shrd Sidd Sind Sinh Sora Sund Sylo Syrc Syre Syrj Syrn Tagb Takr
    Tale Talu Taml Tang Tavt Telu Teng Tfng Tglg Thaa Thai Tibt Tirh Ugar Vaii Visp Wara Wole Xpeo Xsux Yiii Zinh
    Zmth Zsye Zsym Zxxx Zyyy Zzzz
"""
# ISO 3166-1 regions, and historical ones the registry keeps as deprecated (SU, DD, YU, CS: letters were written there)
_REGIONS = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO
    FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE
    JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO
    MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
    PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM
    TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    SU DD YU CS
"""
# a language's default script ("Suppress-Script"): `de-Latn` must be written `de`
_SUPPRESS = """
    ab:Cyrl af:Latn am:Ethi ar:Arab as:Beng ay:Latn be:Cyrl bg:Cyrl bn:Beng ca:Latn ch:Latn cs:Latn cy:Latn da:Latn
    de:Latn dsb:Latn dv:Thaa dz:Tibt el:Grek en:Latn eo:Latn es:Latn et:Latn eu:Latn fa:Arab fi:Latn fj:Latn fo:Latn
    fr:Latn frr:Latn frs:Latn fy:Latn ga:Latn gl:Latn gn:Latn gsw:Latn gu:Gujr gv:Latn he:Hebr hi:Deva hr:Latn
    hsb:Latn ht:Latn hu:Latn hy:Armn id:Latn is:Latn it:Latn ja:Jpan ka:Geor kk:Cyrl kl:Latn km:Khmr kn:Knda ko:Kore
    kok:Deva la:Latn lb:Latn ln:Latn lo:Laoo lt:Latn lv:Latn mai:Deva men:Latn mg:Latn mh:Latn mk:Cyrl ml:Mlym
    mr:Deva ms:Latn mt:Latn my:Mymr na:Latn nb:Latn nd:Latn nds:Latn ne:Deva niu:Latn nl:Latn nn:Latn no:Latn
    nqo:Nkoo nr:Latn nso:Latn ny:Latn om:Latn or:Orya pa:Guru pl:Latn ps:Arab pt:Latn qu:Latn rm:Latn rn:Latn
    ro:Latn ru:Cyrl rw:Latn sg:Latn si:Sinh sk:Latn sl:Latn sm:Latn so:Latn sq:Latn ss:Latn st:Latn sv:Latn sw:Latn
    ta:Taml te:Telu tem:Latn th:Thai ti:Ethi tkl:Latn tl:Latn tmh:Latn tn:Latn to:Latn tpi:Latn tr:Latn ts:Latn
    tvl:Latn uk:Cyrl ur:Arab ve:Latn vi:Latn xh:Latn yi:Hebr zbl:Blis zu:Latn
"""

TO_TWO: dict[str, str] = dict(pair.split(":") for pair in _TO_TWO.split())
LANGUAGES: frozenset[str] = frozenset(TO_TWO.values()) | frozenset(_THREE.split())
SCRIPTS: frozenset[str] = frozenset(_SCRIPTS.split())
REGIONS: frozenset[str] = frozenset(_REGIONS.split())
SUPPRESS_SCRIPT: dict[str, str] = dict(pair.split(":") for pair in _SUPPRESS.split())

_PRIVATE = re.compile(r"[a-z0-9]{2,8}")


def _private_use(subtags: list[str]) -> bool:
    """Whether `subtags` is "x" followed by at least one private-use subtag the checker accepts (2-8 characters)."""
    return len(subtags) > 1 and subtags[0] == "x" and all(_PRIVATE.fullmatch(s) for s in subtags[1:])


@functools.lru_cache(maxsize=1024)  # a letter's text repeats a few values many times
def html_lang(value: str | None) -> tuple[str, str]:
    """(the HTML `lang` for an `xml:lang` value, "" when none; the part of the value that had to be left out).

    "fra" → ("fr", ""); "de-Latn-AT" → ("de-AT", ""); "de-AT-1996" → ("de-AT", "1996"); "latinq" → ("", "latinq").
    A language subtag must be known, then a known script and region may follow, then a private-use part
    ("-x-…"); anything else is cut off there (RFC 4647 lookup order), so what is kept is always right.
    """
    raw = (value or "").strip()
    if not raw:
        return "", ""
    subtags = re.split(r"[-_]", raw.lower())
    if _private_use(subtags):
        return "-".join(subtags), ""
    lang = TO_TWO.get(subtags[0], subtags[0])
    if lang not in LANGUAGES:
        return "", raw
    kept, i = [lang], 1
    if i < len(subtags) and len(subtags[i]) == 4 and subtags[i].title() in SCRIPTS:
        script = subtags[i].title()
        if SUPPRESS_SCRIPT.get(lang) != script:  # the default script is redundant (and rejected)
            kept.append(script)
        i += 1
    if i < len(subtags) and len(subtags[i]) == 2 and subtags[i].upper() in REGIONS:
        kept.append(subtags[i].upper())
        i += 1
    if _private_use(subtags[i:]):
        kept.extend(subtags[i:])
        i = len(subtags)
    lost = "-".join(raw.replace("_", "-").split("-")[i:])
    return "-".join(kept), lost
