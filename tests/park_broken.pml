/* tests/park_broken.pml: tests/park.pml without the notifier's full fence.
 * The notifier's load of the waiter count may then be satisfied before its
 * publication leaves the store buffer; a waiter can announce itself,
 * re-check, see nothing and sleep while the notifier, having read no
 * waiter, makes no wake-up.  tests/check_park_model.sh expects spin to
 * find that lost wake-up: it shows the check can fail.  The other broken
 * variants are -D switches of park.pml (see its header). */
#define NO_NOTIFY_FENCE 1
#include "park.pml"
