#include "planner/whatif.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/number_format.h"
#include "core/number_parse.h"
#include "core/special_functions.h"
#include "core/text_table.h"

namespace thinkplan::planner {
namespace {

[[noreturn]] void Fail(const std::string& text, const std::string& why) {
  throw UsageError("--set '" + text + "': " + why);
}

std::string Suggest(const std::string& typed, const std::vector<std::string>& names) {
  const auto close = ClosestNames(typed, names);
  std::string out;
  for (const std::string& n : close) out += (out.empty() ? "; did you mean '" : "', '") + n;
  return out.empty() ? "" : out + "'?";
}

std::vector<std::string> ClassNames(const Workload& w) {
  std::vector<std::string> out;
  for (const TaskClassSpec& c : w.classes) out.push_back(c.name);
  return out;
}

std::string ClassOf(const std::string& text, const std::string& name, const Workload& w) {
  if (!w.FindClass(name)) Fail(text, "no class '" + name + "' in the workload" + Suggest(name, ClassNames(w)));
  return name;
}

const SystemSpec& SelfHostedOf(const std::string& text, const std::string& name, const Workload& w) {
  const SystemSpec* s = w.FindSystem(name);
  if (!s) {
    std::vector<std::string> names;
    for (const SystemSpec& x : w.systems) names.push_back(x.name);
    Fail(text, "no system '" + name + "' in the workload" + Suggest(name, names));
  }
  if (s->kind != SystemKind::kSelfHosted) Fail(text, "system '" + name + "' is an API: only a self-hosted system has devices and hardware");
  return *s;
}

// tokens.<system>[.<setting>]: the system (whose name may hold dots) and the setting key ("*" for every setting).
std::pair<std::string, std::string> TokensTarget(const std::string& text, const std::string& rest, const Workload& w) {
  if (rest.empty()) Fail(text, "tokens needs a system: tokens.<system>[.<setting>]=FACTOR");
  if (w.FindSystem(rest)) return {rest, "*"};
  const auto dot = rest.rfind('.');
  const std::string setting = dot == std::string::npos ? "" : rest.substr(dot + 1);
  constexpr std::array<std::string_view, 5> kSettings = {"fast", "extended", "low", "medium", "high"};
  if (std::find(kSettings.begin(), kSettings.end(), setting) == kSettings.end() || !w.FindSystem(rest.substr(0, dot))) {
    std::vector<std::string> names;
    for (const SystemSpec& x : w.systems) names.push_back(x.name);
    Fail(text, "no system '" + rest + "' in the workload, and no system followed by a setting (fast, extended, low, "
               "medium, high)" + Suggest(rest, names));
  }
  return {rest.substr(0, dot), setting};
}

WhatIfChange ParseHardwareChange(WhatIfChange change, const std::string& system, const std::string& card,
                                 const Workload& w, const Catalogues& catalogues) {
  SelfHostedOf(change.text, system, w);
  const HardwareInfo* h = catalogues.FindHardware(card);
  if (!h) {
    std::vector<std::string> names;
    for (const HardwareInfo& x : catalogues.hardware) names.push_back(x.name);
    Fail(change.text, "no hardware '" + card + "' in the catalogue" + Suggest(card, names));
  }
  change.name = h->name;
  return change;
}

}  // namespace

WhatIfChange ParseWhatIf(const std::string& text, const Workload& w, const Catalogues& catalogues) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) Fail(text, "expected KEY=VALUE (e.g. budget=2x)");
  WhatIfChange change;
  change.text = text;
  change.key = text.substr(0, eq);
  const std::string& key = change.key;
  const auto dot = key.find('.');
  const std::string head = key.substr(0, dot);
  const std::string rest = dot == std::string::npos ? "" : key.substr(dot + 1);

  const std::string value = text.substr(eq + 1);
  if (head == "hardware") return ParseHardwareChange(std::move(change), rest, value, w, catalogues);
  // The command line's number rule (core/number_parse.h) plus the multiplier: k, M and G only where they read
  // naturally, on money and query counts.
  const NumberRule rule{.suffixes = head == "budget" || head == "volume", .multiplier = true, .min = 0};
  std::string why;
  const std::optional<ParsedNumber> number = TryParseNumber(value, rule, &why);
  if (!number) Fail(text, "value '" + value + "': " + why);
  change.value = number->value;
  change.relative = number->relative;
  if (change.relative && change.value == 0) Fail(text, "a multiplier must be > 0");
  if (head == "budget") {
    if (!rest.empty()) Fail(text, "budget takes no sub-key");
  } else if (head == "volume" || head == "slo") {
    if (rest.empty()) Fail(text, head + " needs a class: " + head + ".<class>=...");
    const std::string cls = ClassOf(text, rest, w);
    if (head == "slo" && change.value == 0 && !change.relative) Fail(text, "an SLO must be > 0 seconds");
    // The changed workload must still be one the workload reader accepts: the same upper bounds apply.
    const TaskClassSpec& k = *w.FindClass(cls);
    const double current = head == "slo" ? k.slo_p95_s : k.daily_volume;
    const double limit = head == "slo" ? 1e6 : 1e12;
    if ((change.relative ? current * change.value : change.value) > limit) {
      Fail(text, head == "slo" ? "an SLO must be at most 1000000 seconds" : "a daily volume must be at most 1e12");
    }
  } else if (head == "verifier") {
    const auto d2 = rest.rfind('.');
    if (d2 == std::string::npos) Fail(text, "expected verifier.<class>.dprime=... or verifier.<class>.auc=...");
    const std::string cls = ClassOf(text, rest.substr(0, d2), w);
    const std::string field = rest.substr(d2 + 1);
    if (field != "dprime" && field != "auc") Fail(text, "verifier field must be dprime or auc, not '" + field + "'");
    if (w.FindClass(cls)->verifier.kind != VerifierKind::kRewardModel) Fail(text, "class '" + cls + "' has no reward_model verifier");
    if (field == "auc" && (change.relative || change.value < 0.5 || change.value >= 1)) Fail(text, "auc must be an absolute value in [0.5, 1)");
    if (field == "dprime" && !change.relative && change.value > 20) Fail(text, "dprime must be in [0, 20]");
  } else if (head == "price") {
    if (rest.empty()) Fail(text, "price needs a system or hardware: price.<system|hardware>=...");
    std::string target = rest, side;
    if (rest.size() > 3 && (rest.ends_with(".in") || rest.ends_with(".out"))) {
      side = rest.substr(rest.rfind('.') + 1);
      target = rest.substr(0, rest.rfind('.'));
    }
    const SystemSpec* s = w.FindSystem(target);
    const HardwareInfo* h = s ? nullptr : catalogues.FindHardware(target);
    if (!s && !h) {
      std::vector<std::string> names;
      for (const SystemSpec& x : w.systems) names.push_back(x.name);
      for (const HardwareInfo& x : catalogues.hardware) names.push_back(x.name);
      Fail(text, "no system or hardware '" + target + "'" + Suggest(target, names));
    }
    if (!side.empty() && (!s || s->kind != SystemKind::kApi)) Fail(text, ".in / .out apply to API systems only");
    if (s && s->kind == SystemKind::kApi && side.empty() && !change.relative) {
      Fail(text, "an absolute API price needs .in or .out (USD per million tokens); use a multiplier like 0.5x for both");
    }
  } else if (head == "value" || head == "peak") {
    if (rest.empty()) Fail(text, head + " needs a class: " + head + ".<class>=...");
    ClassOf(text, rest, w);
    if (head == "peak" && !change.relative && change.value < 1) Fail(text, "a peak factor must be >= 1 (peak over mean)");
  } else if (head == "router") {
    const auto d2 = rest.rfind('.');
    if (d2 == std::string::npos || rest.substr(d2 + 1) != "auc") Fail(text, "expected router.<class>.auc=...");
    const std::string cls = ClassOf(text, rest.substr(0, d2), w);
    if (w.FindClass(cls)->buckets.size() < 2) Fail(text, "class '" + cls + "' has one bucket: there is nothing to route");
    if (change.relative || change.value < 0.5 || change.value >= 1) Fail(text, "auc must be an absolute value in [0.5, 1)");
  } else if (head == "tokens") {
    const auto [system, setting] = TokensTarget(text, rest, w);
    if (!change.relative && change.value == 0) Fail(text, "a thinking-token factor must be > 0");
    change.name = setting;
  } else if (head == "devices") {
    const SystemSpec& s = SelfHostedOf(text, rest, w);
    const double devices = change.relative ? change.value * static_cast<double>(s.devices) : change.value;
    if (devices != std::floor(devices) || devices < 1) Fail(text, "devices per replica must come to a whole number >= 1");
  } else {
    Fail(text, "unknown key '" + head + "' (budget, volume.<class>, price.<system|hardware>[.in|.out], slo.<class>, "
               "verifier.<class>.dprime|auc, value.<class>, peak.<class>, router.<class>.auc, tokens.<system>[.<setting>], "
               "devices.<system>, hardware.<system>)");
  }
  return change;
}

namespace {

void ApplyOne(const WhatIfChange& c, const Catalogues& catalogues, Workload* w, std::optional<double>* budget) {
  auto apply = [&c](double base) { return c.relative ? base * c.value : c.value; };
  const auto dot = c.key.find('.');
  const std::string head = c.key.substr(0, dot);
  const std::string rest = dot == std::string::npos ? "" : c.key.substr(dot + 1);
  if (head == "budget") {
    if (!*budget && c.relative) throw UsageError("--set '" + c.text + "': the plan has no budget to scale");
    *budget = apply(budget->value_or(0));
  } else if (head == "volume") {
    for (TaskClassSpec& k : w->classes) if (k.name == rest) k.daily_volume = apply(k.daily_volume);
  } else if (head == "slo") {
    for (TaskClassSpec& k : w->classes) if (k.name == rest) k.slo_p95_s = apply(k.slo_p95_s);
  } else if (head == "value") {
    for (TaskClassSpec& k : w->classes) if (k.name == rest) k.value_usd = apply(k.value_usd);
  } else if (head == "peak") {
    for (TaskClassSpec& k : w->classes) if (k.name == rest) k.peak_factor = apply(k.peak_factor);
  } else if (head == "router") {
    const std::string cls = rest.substr(0, rest.rfind('.'));
    for (TaskClassSpec& k : w->classes) {
      if (k.name == cls) k.router = RouterSpec{ConfusionFromAuc(c.value, k.buckets.size()), c.value};
    }
  } else if (head == "tokens") {
    const std::string system = c.name == "*" ? rest : rest.substr(0, rest.rfind('.'));
    for (SystemSpec& s : w->systems) {
      if (s.name != system) continue;
      const auto it = s.thinking_token_factor.find(c.name);
      s.thinking_token_factor[c.name] = apply(it == s.thinking_token_factor.end() ? 1.0 : it->second);
    }
  } else if (head == "devices") {
    for (SystemSpec& s : w->systems) {
      if (s.name == rest) s.devices = std::lround(apply(static_cast<double>(s.devices)));
    }
  } else if (head == "hardware") {
    for (SystemSpec& s : w->systems) {
      if (s.name != rest) continue;
      s.hardware = c.name;
      s.usd_per_device_hour.reset();  // the old card's price does not carry over to the new one
    }
  } else if (head == "verifier") {
    const std::string cls = rest.substr(0, rest.rfind('.'));
    const std::string field = rest.substr(rest.rfind('.') + 1);
    for (TaskClassSpec& k : w->classes) {
      if (k.name != cls) continue;
      k.verifier.d_prime = field == "auc" ? std::sqrt(2.0) * NormalQuantile(c.value) : apply(k.verifier.d_prime);
    }
  } else if (head == "price") {
    std::string target = rest, side;
    if (rest.ends_with(".in") || rest.ends_with(".out")) {
      side = rest.substr(rest.rfind('.') + 1);
      target = rest.substr(0, rest.rfind('.'));
    }
    bool system_hit = false;
    for (SystemSpec& s : w->systems) {
      if (s.name != target) continue;
      system_hit = true;
      if (s.kind == SystemKind::kApi) {
        const SystemInfo* info = catalogues.FindSystem(s.catalogue_name.empty() ? s.CurveName("*") : s.catalogue_name);
        if (!info) info = catalogues.FindSystem(s.name);
        const double in = s.price_in_usd_per_mtok.value_or(info ? info->price_in_usd_per_mtok.value_or(0) : 0);
        const double out = s.price_out_usd_per_mtok.value_or(info ? info->price_out_usd_per_mtok.value_or(0) : 0);
        if (side != "out") s.price_in_usd_per_mtok = apply(in);
        if (side != "in") s.price_out_usd_per_mtok = apply(out);
      } else {
        const HardwareInfo* h = catalogues.FindHardware(s.hardware);
        s.usd_per_device_hour = apply(s.usd_per_device_hour.value_or(h && h->usd_per_hour ? *h->usd_per_hour : 0));
      }
    }
    if (!system_hit) {
      const HardwareInfo* h = catalogues.FindHardware(target);
      for (SystemSpec& s : w->systems) {
        if (s.kind != SystemKind::kSelfHosted || !h || catalogues.FindHardware(s.hardware) != h) continue;
        s.usd_per_device_hour = apply(s.usd_per_device_hour.value_or(h->usd_per_hour.value_or(0)));
      }
    }
  }
}

// A what-if may only produce what could have been written by hand: the changed workload (with the changed budget)
// goes through the workload reader, whose ranges are the only ones. Checking the result rather than each key's
// value keeps relative changes, prices from the catalogue and chained changes under the same rules.
void RequireReadable(const WhatIfChange& c, const Workload& w, const std::optional<double>& budget) {
  Workload check = w;
  if (budget) check.budget_usd_per_month = *budget;
  try {
    ParseWorkload(ToJson(check), "what-if workload");
  } catch (const InputError& error) {
    throw UsageError("--set '" + c.text + "': the changed workload is out of range: " + error.what());
  }
}

}  // namespace

void ApplyWhatIf(const std::vector<WhatIfChange>& changes, const Catalogues& catalogues, Workload* w,
                 std::optional<double>* budget) {
  // A move to another card drops the price the workload pinned for the old one, so moves come first and a price
  // given in the same what-if holds whatever the order typed.
  for (bool moves : {true, false}) {
    for (const WhatIfChange& c : changes) {
      if (c.key.starts_with("hardware.") != moves) continue;
      ApplyOne(c, catalogues, w, budget);
      RequireReadable(c, *w, *budget);
    }
  }
  // A card without a list price needs one from the user, given in the same what-if (price.<system>=USD).
  for (const WhatIfChange& c : changes) {
    if (!c.key.starts_with("hardware.")) continue;
    const SystemSpec* s = w->FindSystem(c.key.substr(c.key.find('.') + 1));
    const HardwareInfo* h = catalogues.FindHardware(c.name);
    if (s && !s->usd_per_device_hour && !(h && h->usd_per_hour)) {
      throw UsageError("--set '" + c.text + "': " + c.name + " has no price per device-hour in the catalogue; add --set price." +
                       s->name + "=USD");
    }
  }
}

std::vector<bool> OptionsChanged(const std::vector<WhatIfChange>& changes, const Workload& w) {
  std::vector<bool> changed(w.classes.size(), false);
  for (const WhatIfChange& c : changes) {
    const auto dot = c.key.find('.');
    const std::string head = c.key.substr(0, dot);
    const std::string rest = dot == std::string::npos ? "" : c.key.substr(dot + 1);
    for (std::size_t ci = 0; ci < w.classes.size(); ++ci) {
      // A price, a replica size or a card reaches every class that may use the system; cheaper to redo them all
      // than to trace it.
      if (head == "price" || head == "devices" || head == "hardware" || head == "tokens") changed[ci] = true;
      // A self-hosted option's cost is its replica time at the class's peak; the router decides which buckets'
      // options a class's traffic meets. A class's value only weighs it in the LP: its options stay.
      if ((head == "peak" || head == "router") && rest.substr(0, rest.find('.')) == w.classes[ci].name) changed[ci] = true;
      if (head == "verifier" && rest.substr(0, rest.rfind('.')) == w.classes[ci].name) changed[ci] = true;
      // A self-hosted option's batch is the largest whose service keeps the class's SLO.
      if (head == "slo" && rest == w.classes[ci].name) changed[ci] = true;
    }
  }
  return changed;
}

namespace {

std::string Options(const BucketPlan& b) {
  std::string out;
  for (const ChosenShare& s : b.shares) {
    out += (out.empty() ? "" : " + ") + s.setting.Describe();
    if (s.fraction < 1 - 1e-9) out += " (" + Percent(s.fraction, 0) + ")";
  }
  return out;
}

std::string Change(const std::string& before, const std::string& after) { return before + " -> " + after; }

}  // namespace

std::string DiffReport(const PlanResult& base, const PlanResult& changed) {
  using Align = TextTable::Align;
  TextTable buckets({{"class"}, {"bucket"}, {"base option"}, {"what-if option"}, {"accuracy", Align::kRight},
                     {"$/query", Align::kRight}, {""}});
  std::map<std::string, const BucketPlan*> after;
  for (const BucketPlan& b : changed.buckets) after[b.class_name + "/" + b.bucket] = &b;
  for (const BucketPlan& b : base.buckets) {
    const auto it = after.find(b.class_name + "/" + b.bucket);
    const BucketPlan* a = it == after.end() ? nullptr : it->second;
    const std::string before_opt = Options(b), after_opt = a ? Options(*a) : "(none)";
    const bool same = before_opt == after_opt;
    buckets.AddRow({b.class_name, b.bucket, before_opt, same ? "(same)" : after_opt,
                    Change(Percent(b.accuracy), Percent(a ? a->accuracy : 0.0)),
                    Change(Usd(b.cost_per_query), Usd(a ? a->cost_per_query : 0.0)), same ? "" : "*"});
  }
  TextTable totals({{""}, {"base", Align::kRight}, {"what-if", Align::kRight}, {""}});
  // A total is marked as changed when it differs as printed: money is printed to three figures, so the mark
  // compares whole dollars, as the plan's own figures are stated.
  const auto total = [&](const std::string& label, const std::string& before, const std::string& now, bool differs) {
    totals.AddRow({label, before, now, differs ? "*" : ""});
  };
  const auto dollars_differ = [](double x, double y) { return std::llround(x) != std::llround(y); };
  total("accuracy", Percent(base.accuracy, 2), Percent(changed.accuracy, 2),
        Percent(base.accuracy, 2) != Percent(changed.accuracy, 2));
  total("inference", UsdPerMonth(base.inference_usd_per_month), UsdPerMonth(changed.inference_usd_per_month),
        dollars_differ(base.inference_usd_per_month, changed.inference_usd_per_month));
  total("training", UsdPerMonth(base.training_usd_per_month), UsdPerMonth(changed.training_usd_per_month),
        dollars_differ(base.training_usd_per_month, changed.training_usd_per_month));
  std::map<std::string, std::pair<long, long>> gpus;
  for (const CapacityLine& l : base.capacity) gpus[l.system + " on " + l.hardware].first = l.devices;
  for (const CapacityLine& l : changed.capacity) gpus[l.system + " on " + l.hardware].second = l.devices;
  for (const auto& [name, g] : gpus) total("GPUs " + name, std::to_string(g.first), std::to_string(g.second), g.first != g.second);
  return buckets.ToString() + "\n" + totals.ToString();
}

}  // namespace thinkplan::planner
