#pragma once
// A LibreOffice kept running for many documents, so that its start (over a second: more than
// converting a short document) is paid once per worker slot and not once per document.
//
// The server is `redact __office-server DIR`: it loads LibreOffice in-process through
// LibreOfficeKit (the library LibreOffice itself offers for this), with a throwaway profile in
// DIR (macros never run, links never updated, no locking: the settings of a one-off run),
// listens on DIR/socket (DIR is the caller's, mode 0700) and converts one document per
// connection, each loaded, saved and closed before the next is accepted. It runs as a child of
// the batch or the daemon (batch/office_pool.h), in its own process group, under the worker's
// memory limit, and exits when its lifeline (its stdin, a pipe the pool holds open) closes,
// however the pool ends. A document's worker connects, asks, and waits within its document's
// limit: on timeout it kills the server, so a hang costs one document, as a one-off run does.
//
// What it gives up against a LibreOffice per document: documents of one slot share a process,
// one after another. A document that took LibreOffice over (a code-execution bug) could touch
// the next ones until the server is started afresh (after kMaxUses documents, or any failure);
// --libreoffice-per-document closes that, at a start per document.

#include <sys/types.h>

#include <string>
#include <vector>

#include "pipeline/core/status.h"

namespace redact {

// A running server, as a worker is told of it. Invalid (pid 0): convert without one.
struct OfficeServerHandle {
  std::string socket;
  pid_t pid = 0;
  bool valid() const { return pid > 0 && !socket.empty(); }
};

// What a server is asked: `input` loaded and saved in `output_dir` as `stem` + ".pdf" (format
// "pdf") or as OpenDocument of the document's own kind, .odt/.ods/.odp/.odg (format "odf").
struct OfficeRequest {
  std::string input;
  std::string output_dir;
  std::string stem;
  std::string format = "pdf";
};

// The file written (always output_dir/stem.<ext>, a regular file), or: kTooLarge for a
// conversion still running after `timeout_seconds` (the server is killed); kMissingDependency
// when the server did not answer, died under the document (it is killed too, as it may be
// half-way) or could not load it. The caller decides what the document's fate is.
Result<std::string> ConvertOnServer(const OfficeServerHandle& server, const OfficeRequest& request,
                                    double timeout_seconds);

// The server's main: `args` = {DIR} (its working directory too). Listens at once; writes
// "ready\n" on stdout once LibreOffice has loaded (or one line saying why it cannot, exit 3),
// then serves until killed or its stdin closes.
int OfficeServerMain(const std::vector<std::string>& args);

enum class ServerStart { kPending, kReady, kFailed };

// A server being started: its pid and the pipe its "ready" line comes on.
struct StartingServer {
  OfficeServerHandle handle;
  int ready_fd = -1;
  ServerStart started = ServerStart::kPending;
  std::string dir;
};

// Starts `self __office-server DIR` in `dir` (made here, mode 0700), without waiting: its
// environment is only what LibreOffice needs (no display; HOME and TMPDIR inside DIR), its
// stderr DIR/libreoffice.log, its stdin `lifeline` (the read end of a pipe whose write end the
// caller keeps: the server exits when it closes), its address space at most
// `max_memory_bytes` (0: no limit).
Result<StartingServer> SpawnOfficeServer(const std::string& self, const std::string& dir,
                                         int lifeline, uint64_t max_memory_bytes);

// Whether the server has said it started (LibreOffice loaded), that it cannot, or neither
// yet; without waiting. A worker needs none of this: it connects at once and waits on the
// connection.
ServerStart CheckOfficeServerStart(StartingServer* server);

// Kills the server's whole process group, reaps it and removes its folder.
void StopOfficeServer(StartingServer* server);

// Whether the server has exited (a zombie is not reaped here: StopOfficeServer still kills
// what is left of its group first).
bool OfficeServerExited(const StartingServer& server);

}  // namespace redact
