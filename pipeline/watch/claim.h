#pragma once
// ClaimIntent: the daemon's journal of one claimed input, so that each input is published
// exactly once whatever moment kill -9 (or a power cut) picks. It lives in
// INBOX/.redact/attempts/<sha256 of the input's name>.json and is rewritten (synced, by rename)
// before every step that changes OUT, so a restart always knows how far the input got:
//
//   claimed     the input is in .redact/work/ (the rename is the claim); no intent yet
//   processing  its release names are reserved (here, before anything is written under them)
//               and a worker may be publishing under them. A restart rolls back whatever
//               lies under those names (published without a record) and runs it again: an
//               attempt, and a document started kMaxAttempts times is poison.
//   processed   its record is kept here; a message's attachments may be running under its
//               reserved attachments folder. A restart empties that folder and runs them again.
//   published   every record is final and kept here (the message's and its attachments'), with
//               the names of the quarantine copies and of the archive planned: a restart files
//               the copies again under the same names and appends what the audit lacks (each
//               record carries "claim", this intent's id).
//   recorded    the records are in the audit: a restart only archives the input.
// Once the input has left work/ (archived, or removed after its quarantine copy), the intent is
// removed and the names it reserved are the files on disk.
//
// Thread-safety: a value; one thread works on a given input at a time.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/batch/inputs.h"  // PathRedaction
#include "pipeline/core/env.h"
#include "pipeline/core/status.h"

namespace redact {

enum class ClaimStep { kClaimed, kProcessing, kProcessed, kPublished, kRecorded };
const char* ClaimStepName(ClaimStep step);

struct ClaimIntent {
  std::string input;  // the input's name relative to the inbox (and to work/)
  std::string claim;  // this claim's id, unique per daemon and input
  ClaimStep step = ClaimStep::kClaimed;
  int attempts = 0;         // runs of the document started (a restart in kProcessing adds one)
  int attachment_runs = 0;  // runs of a message's attachments started
  // Reserved before processing, relative to release/ (or review/): never another input's.
  std::string release;
  std::string sidecar;
  std::vector<PathRedaction> name_redactions;
  std::string archive;     // planned copy of the input, relative to OUT (released or held)
  std::string quarantine;  // planned copy under quarantine/ (quarantined)
  // The records once processed: the document's, then its attachments' (each with its planned
  // "quarantine_name" when quarantined), as the daemon keeps them (DaemonRecordJson).
  nlohmann::json record;
  nlohmann::json attachments = nlohmann::json::array();

  // The attachments folder a message's attachments are released into, relative to release/:
  // "a/mail.txt" -> "a/mail.attachments". Reserved with the release for every input.
  static std::string AttachmentsFolder(const std::string& release);
};

// The intent at `path`; an absent file is an intent at kClaimed with no attempts. An intent
// written by an older daemon ({"input", "attempts"} only) reads as kProcessing without names.
Result<ClaimIntent> LoadClaimIntent(const std::string& path, const std::string& input);

// Writes `intent` to `path` durably (temp, fsync, rename, folder fsync) through `env`.
Status SaveClaimIntent(const std::string& path, const ClaimIntent& intent, Env* env);

// A fresh claim id: time, process and a counter, so two claims never share one.
std::string NewClaimId();

}  // namespace redact
