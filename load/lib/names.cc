#include "names.h"

namespace sever::load {
namespace {

constexpr std::string_view kTenantWords[] = {
    "acme",      "globex",    "initech",    "umbrella",  "hooli",     "piedpiper", "stark",
    "wayne",     "wonka",     "tyrell",     "cyberdyne", "soylent",   "vandelay",  "dunder",
    "oscorp",    "aperture",  "northwind",  "contoso",   "fabrikam",  "tailspin",  "litware",
    "proseware", "woodgrove", "adatum",     "wingtip",   "alpine",    "bluebird",  "cedar",
    "summit",    "harbor",    "meridian",   "quantum",   "vertex",    "nimbus",    "orbit",
    "pioneer",   "redwood",   "sterling",   "beacon",    "cobalt",    "falcon",    "granite",
    "horizon",   "ironwood",  "juniper",    "keystone",  "lumen",     "magnolia",  "nova",
    "onyx",      "pinnacle",  "quartz",     "riverbend", "sequoia",   "tundra",    "uplift",
    "vanguard",  "willow",    "zenith",     "aurora",    "brightway", "clearpath", "driftwood",
    "evergreen", "foxglove",  "goldleaf",   "highland",  "indigo",    "jetstream", "kestrel",
    "lighthouse", "mosaic",   "northstar",  "oakridge",  "paragon",   "quicksilver", "rockwell",
    "silverline", "trident",  "unity",      "velocity",  "westwind",  "yellowstone", "zephyr",
    "atlas",     "boreal",    "catalyst",   "delta",     "ember",     "fjord",     "glacier",
    "helix",     "ion",       "jade",       "kinetic",   "lattice",   "monarch",   "nexus",
    "optimum",   "prism",     "radiant",    "solstice",  "terra",     "ultra",     "vista",
    "wavelength", "xenon",    "yonder",     "zircon",    "amberly",   "bayside",   "canyon",
    "dynamo",    "echo",      "frontier",   "gateway",   "hawthorne", "insight",   "journey",
    "kodiak",    "legacy",    "mariner",    "nautilus",  "outpost",   "polaris",   "quasar",
    "ranger",    "sapphire",
};

constexpr std::string_view kFirstNames[] = {
    "alice",  "bob",     "carol",   "dave",    "erin",    "frank",   "grace",   "heidi",
    "ivan",   "judy",    "mallory", "niaj",    "olivia",  "peggy",   "rupert",  "sybil",
    "trent",  "victor",  "walter",  "yasmin",  "zoe",     "amir",    "bea",     "chen",
    "diego",  "elena",   "farah",   "gustavo", "hana",    "igor",    "jamal",   "keiko",
    "lars",   "maria",   "nikhil",  "omar",    "priya",   "quinn",   "rosa",    "sanjay",
    "tomas",  "uma",     "vera",    "wei",     "ximena",  "yusuf",   "zara",    "aiden",
    "bianca", "carlos",  "dana",    "emeka",   "fatima",  "gio",     "hiro",    "isla",
    "jonas",  "kofi",    "leila",   "mateo",   "noor",    "oscar",   "paula",   "ravi",
};

constexpr std::string_view kLastNames[] = {
    "nguyen",   "smith",    "garcia",   "kim",      "patel",    "mueller",  "rossi",
    "tanaka",   "johnson",  "lopez",    "silva",    "chen",     "okafor",   "novak",
    "dubois",   "jensen",   "kowalski", "singh",    "haddad",   "petrov",   "walker",
    "brown",    "davis",    "martin",   "moreau",   "fischer",  "larsen",   "costa",
    "yilmaz",   "ivanova",  "sato",     "park",     "wong",     "ali",      "hughes",
    "reyes",    "morales",  "schmidt",  "bauer",    "nielsen",  "andersen", "romano",
    "ricci",    "mendes",   "santos",   "kaya",     "demir",    "hoffmann", "weber",
    "lindqvist", "berg",    "kovacs",   "horvat",   "popescu",  "nagy",     "murphy",
    "kelly",    "obrien",   "adeyemi",  "mensah",   "abebe",    "banda",    "zhou",
    "li",
};

constexpr std::string_view kServiceMailboxes[] = {"integrations", "it-ops", "automation",
                                                  "platform", "devops", "admin"};

}  // namespace

std::span<const std::string_view> tenant_words() { return kTenantWords; }
std::span<const std::string_view> first_names() { return kFirstNames; }
std::span<const std::string_view> last_names() { return kLastNames; }
std::span<const std::string_view> service_mailboxes() { return kServiceMailboxes; }

}  // namespace sever::load
