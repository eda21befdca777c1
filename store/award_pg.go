package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/questgate/questgate/quest"
)

// recordAwardPipelined records, on PostgreSQL, an attempt the verifier
// passed, in a transaction of its own, in three round trips where
// database/sql's statements one by one took six:
//
//  1. BEGIN, the award's locks and its check, sent together in one pgx
//     batch (a pipeline): the check runs after the locks are granted, in
//     a snapshot of its own (READ COMMITTED), so it reads every award
//     committed before them, as checkAward's does;
//  2. the attempt's writes in one statement (awardWrites): the refund,
//     the submission, the award, and the read of the endpoints the
//     award's webhook events go to (their INSERTs follow, when there are
//     any, as in enqueueCompleted);
//  3. COMMIT, and beside it the read of the hack panel's list when the
//     request wants it (commitListing).
//
// Each round trip costs PostgreSQL a socket read, a write and a wake-up,
// and the server as much again, on the same cores as everything else at
// an event (docs/performance.md): a third of PostgreSQL's CPU per fresh
// HACK before this. The decision is checkAward's own (awardLocks,
// awardCheck, decideAward), so both databases decide alike.
//
// sub is updated with its reason, detail and id.
func (s *Store) recordAwardPipelined(ctx context.Context, sub *quest.Submission, grant *quest.Award, r *refund) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(*pgConn)
		if !ok {
			return fmt.Errorf("unexpected connection type %T", dc)
		}
		return awardOn(ctx, pc.Conn.Conn(), sub, grant, r)
	})
}

// rollbackWait bounds the ROLLBACK of a failed award: a database that
// does not answer it loses the connection instead of holding the HACK.
const rollbackWait = 5 * time.Second

// awardOn is recordAwardPipelined on one connection. Whatever fails, the
// connection is left outside a transaction, or closed (database/sql then
// drops it: pgx's ResetSession refuses a closed connection, or one in a
// transaction).
func awardOn(ctx context.Context, c *pgx.Conn, sub *quest.Submission, grant *quest.Award, r *refund) (err error) {
	defer func() {
		if err != nil && c.PgConn().TxStatus() != 'I' {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackWait)
			defer cancel()
			if _, rerr := c.Exec(rctx, "ROLLBACK"); rerr != nil {
				_ = c.Close(rctx)
			}
		}
	}()
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	lq, largs := lockSQL(false, awardLocks(*sub))
	b.Queue(rebind(lq), largs...)
	cq, cargs := awardCheck(*sub, grant.SharesProofWith)
	b.Queue(rebind(cq), cargs...)
	br := c.SendBatch(ctx, b)
	err = checkBatch(br, sub)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("check awards: %w", cerr)
	}
	if err != nil {
		return err
	}

	q, args := awardWrites(*sub, grant, r.due(sub.Reason))
	rows, err := c.Query(ctx, rebind(q), args...)
	if err != nil {
		return fmt.Errorf("insert submission: %w", err)
	}
	var targets []webhookTarget
	for rows.Next() {
		var ext, name *string
		var endpoint *int64
		if err := rows.Scan(&sub.ID, &ext, &name, &endpoint); err != nil {
			rows.Close()
			return fmt.Errorf("insert submission: %w", err)
		}
		if endpoint != nil {
			targets = append(targets, webhookTarget{ext: *ext, name: *name, endpoint: *endpoint})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insert submission: %w", err)
	}
	if sub.Reason == quest.Awarded {
		err := writeCompleted(completionOf(*sub, grant), targets, func(q string, args ...any) error {
			_, err := c.Exec(ctx, rebind(q), args...)
			return err
		})
		if err != nil {
			return fmt.Errorf("award: %w", err)
		}
	}
	return commitListing(ctx, c, *sub, quest.RecentAttemptsOf(ctx))
}

// commitListing commits awardOn's transaction and, when its request lists
// the player's latest attempts (recent, non-nil), reads them in the same
// round trip, after the COMMIT (in a transaction of their own, which
// sees the award), and keeps them in recent. The award stands whatever
// befalls that read: the list is then read again, as without recent.
func commitListing(ctx context.Context, c *pgx.Conn, sub quest.Submission, recent *quest.RecentAttempts) error {
	n := recent.Limit()
	if n == 0 {
		tag, err := c.Exec(ctx, "COMMIT")
		return committed(tag, err)
	}
	b := &pgx.Batch{}
	b.Queue("COMMIT")
	lq, largs := recentSQL(true, sub.PlayerID, sub.ObjectiveID, n)
	b.Queue(rebind(lq), largs...)
	br := c.SendBatch(ctx, b)
	defer br.Close()
	if err := committed(br.Exec()); err != nil {
		return err
	}
	rows, err := br.Query()
	if err != nil {
		return nil
	}
	list, err := scanRecent(rows, sub.PlayerID, sub.ObjectiveID, n)
	rows.Close()
	if err == nil {
		recent.Keep(sub.PlayerID, sub.ObjectiveID, list)
	}
	return nil
}

// committed says whether a COMMIT's answer (tag, err) committed.
func committed(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if tag.String() != "COMMIT" {
		return errors.New("commit: the transaction was rolled back")
	}
	return nil
}

// checkBatch reads the results of awardOn's first batch: BEGIN, the
// locks, and the check, which decides sub's reason.
func checkBatch(br pgx.BatchResults, sub *quest.Submission) error {
	if _, err := br.Exec(); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if _, err := br.Exec(); err != nil {
		return fmt.Errorf("lock %v: %w", awardLocks(*sub), err)
	}
	rows, err := br.Query()
	if err != nil {
		return fmt.Errorf("check awards: %w", err)
	}
	err = decideAward(sub, rows)
	rows.Close()
	if err == nil && rows.Err() != nil {
		err = fmt.Errorf("check awards: %w", rows.Err())
	}
	return err
}

// awardWrites is an attempt's writes, after its check, as one PostgreSQL
// statement: the refund (r, nil for none) and the submission, and when
// sub is awarded its award, in data-modifying WITHs; and the read of the
// award's webhook endpoints. Its rows are the submission's id beside
// each endpoint (webhookTargets), or beside NULLs when it has none (or
// sub is not awarded).
func awardWrites(sub quest.Submission, grant *quest.Award, r *refund) (string, []any) {
	q, args := "WITH ", []any(nil)
	if r != nil {
		rq, rargs := r.l.refundSQL(r.key)
		q, args = q+"refund AS ("+rq+"), ", append(args, rargs...)
	}
	sq, sargs := submissionInsert(sub)
	q, args = q+"sub AS ("+sq+" RETURNING id)", append(args, sargs...)
	if sub.Reason != quest.Awarded {
		return q + ` SELECT id, NULL::text, NULL::text, NULL::bigint FROM sub`, args
	}
	aq, aargs := awardInsert(sub, grant, "(SELECT id FROM sub)")
	q, args = q+", award AS ("+aq+")", append(args, aargs...)
	return q + ` SELECT sub.id, t.external_id, t.display_name, t.id FROM sub
		LEFT JOIN (` + webhookTargets + `) t ON true ORDER BY t.id`, append(args, sub.PlayerID)
}
