package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT * FROM t WHERE a = ? AND b IN (?, ?)`, `SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)`},
		{`SELECT '?' || ? FROM "we?rd" WHERE x LIKE ? ESCAPE '\'`, `SELECT '?' || $1 FROM "we?rd" WHERE x LIKE $2 ESCAPE '\'`},
		{`SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
		{`SELECT $1`, `SELECT $1`},
	}
	for _, tt := range tests {
		if got := rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) again = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestMigrationsHaveTheSameVersions keeps the two folders in step: every
// version exists for both databases.
func TestMigrationsHaveTheSameVersions(t *testing.T) {
	versions := func(dir string) []string {
		entries, err := fs.ReadDir(migrations, dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			v, _, _ := strings.Cut(e.Name(), "_")
			out = append(out, v)
		}
		slices.Sort(out)
		return out
	}
	sqlite, pg := versions("migrations/sqlite"), versions("migrations/postgres")
	if len(sqlite) == 0 {
		t.Fatal("no SQLite migrations")
	}
	if diff := cmp.Diff(sqlite, pg); diff != "" {
		t.Errorf("versions (-sqlite +postgres):\n%s", diff)
	}
}

func TestConnectReadsTheDatabaseURL(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, url string
		// wantErr is part of the error, "" for success.
		wantErr string
		file    string
	}{
		{"sqlite scheme", "sqlite:" + filepath.Join(dir, "a.db"), "", "a.db"},
		{"sqlite URL form", "sqlite://" + filepath.Join(dir, "b.db"), "", "b.db"},
		{"plain path", filepath.Join(dir, "c.db"), "", "c.db"},
		{"unknown scheme", "mysql://root@localhost/q", `unknown scheme "mysql"`, ""},
		{"sqlite without a path", "sqlite:", "no SQLite path", ""},
		{"nothing", "", "no database", ""},
		{"keyword/value string", "host=db user=app password=s3cret dbname=q", "keyword/value connection string", ""},
		{"keyword/value string with a colon", "host=db user=app password=s3:cret dbname=q", "keyword/value connection string", ""},
		{"a single keyword", "host=db", "keyword/value connection string", ""},
		{"dbname only", "dbname=q", "keyword/value connection string", ""},
		{"password first", "password=s3cret", "keyword/value connection string", ""},
		{"user first", "user=app", "keyword/value connection string", ""},
		{"path with an equals sign", filepath.Join(dir, "a=b.db"), "", "a=b.db"},
		{"path with a space", filepath.Join(dir, "my q.db"), "", "my q.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Connect(context.Background(), tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Connect(%q) = %v, want an error with %q", tt.url, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3") {
					t.Errorf("Connect(%q) = %v: the error shows the password", tt.url, err)
				}
				if _, err := os.Stat(tt.url); err == nil {
					t.Errorf("Connect(%q) created a file of that name", tt.url)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Backend() != BackendSQLite {
				t.Errorf("Backend() = %q", s.Backend())
			}
			if matches, _ := filepath.Glob(filepath.Join(dir, tt.file)); len(matches) != 1 {
				t.Errorf("no %s in %s", tt.file, dir)
			}
		})
	}
}

// TestMigrationsReachTheSameSchema migrates both databases and compares
// their tables and columns (PostgreSQL's explicit rowid columns stand for
// SQLite's implicit ones).
func TestMigrationsReachTheSameSchema(t *testing.T) {
	bs := backends()
	columns := func(s *Store, query string) map[string][]string {
		rows, err := s.r.QueryContext(context.Background(), query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string][]string{}
		for rows.Next() {
			var table, column string
			if err := rows.Scan(&table, &column); err != nil {
				t.Fatal(err)
			}
			if table == "goose_db_version" || column == "rowid" {
				continue
			}
			out[table] = append(out[table], column)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for _, cols := range out {
			slices.Sort(cols)
		}
		return out
	}
	sqlite := columns(bs[0].open(t), `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
	pg := columns(bs[1].open(t), `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema()`)
	if _, ok := sqlite["submissions"]; !ok {
		t.Fatalf("no submissions table among %v", sqlite)
	}
	if diff := cmp.Diff(sqlite, pg); diff != "" {
		t.Errorf("tables and columns (-sqlite +postgres):\n%s", diff)
	}
}

// TestMigrationsGoDownAndUpAgain rolls every migration back, on both
// databases, and applies them again: the Down halves are kept working
// for an operator who must step back a release.
func TestMigrationsGoDownAndUpAgain(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		p, err := s.provider()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, 0); err != nil {
			t.Fatalf("down: %v", err)
		}
		if n, err := s.Migrate(ctx); err != nil || n != len(p.ListSources()) {
			t.Fatalf("up again: %d, %v; want %d", n, err, len(p.ListSources()))
		}
	})
}

// TestConnectNeverShowsThePassword gives Connect PostgreSQL URLs it
// cannot read or reach: its error must say what is wrong without quoting
// the password, which operators paste into logs and tickets.
func TestConnectNeverShowsThePassword(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	tests := []struct {
		name, url string
		// password is what must not show, nor any part after an '@'.
		password []string
		wantErr  string
	}{
		{"an @ left unencoded", "postgres://app:Pa@ssw0rd@db/q", []string{"Pa@ssw0rd", "ssw0rd"}, "percent-encode reserved characters"},
		{"an @ left unencoded, a local host", "postgres://app:Pa@ssw0rd@" + closed + "/q", []string{"Pa@ssw0rd", "ssw0rd"}, "percent-encode reserved characters"},
		{"a bad escape", "postgres://app:Pa%zzw0rd@" + closed + "/q", []string{"Pa%zzw0rd", "zzw0rd"}, "invalid PostgreSQL URL"},
		{"a bad port", "postgres://app:S3cretw0rd@127.0.0.1:99999/q", []string{"S3cretw0rd"}, "invalid PostgreSQL URL"},
		{"a bad sslmode", "postgres://app:S3cretw0rd@" + closed + "/q?sslmode=bogus", []string{"S3cretw0rd"}, "invalid PostgreSQL URL"},
		{"unreachable", "postgres://app:S3cretw0rd@" + closed + "/q?connect_timeout=10", []string{"S3cretw0rd"}, "connect to PostgreSQL"},
		{"unreachable, an @ encoded", "postgres://app:Pa%40ssw0rd@" + closed + "/q?connect_timeout=10", []string{"Pa@ssw0rd", "Pa%40ssw0rd", "ssw0rd"}, "connect to PostgreSQL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Connect(context.Background(), tt.url)
			if err == nil {
				s.Close()
				t.Fatalf("Connect(%q) = nil error", tt.url)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Connect = %v, want an error with %q", err, tt.wantErr)
			}
			for _, p := range tt.password {
				if strings.Contains(err.Error(), p) {
					t.Errorf("Connect = %v: it shows %q", err, p)
				}
			}
		})
	}
}

func TestOpenPostgresRedactsThePassword(t *testing.T) {
	db, redact, err := openPostgres("postgres://app:S3cret%20w0rd@127.0.0.1/q")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cause := errors.New("server said: bad password")
	err = redact(fmt.Errorf("auth: S3cret w0rd, S3cret%%20w0rd, S3cret+w0rd: %w", cause))
	if want := "auth: xxxxx, xxxxx, xxxxx: server said: bad password"; err.Error() != want {
		t.Errorf("redacted error = %q, want %q", err, want)
	}
	if !errors.Is(err, cause) {
		t.Errorf("redacted error %v does not unwrap to its cause", err)
	}
	if err := redact(cause); err != cause {
		t.Errorf("redact(an error without the password) = %v, want it unchanged", err)
	}
}

// BenchmarkRebind measures rewriting one of the store's longer queries
// (Take's upsert), which every query on PostgreSQL pays.
func BenchmarkRebind(b *testing.B) {
	const q = `INSERT INTO rate_limits (key, tat) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET tat = CASE WHEN rate_limits.tat > ? THEN rate_limits.tat ELSE ? END + ?
		WHERE CASE WHEN rate_limits.tat > ? THEN rate_limits.tat ELSE ? END + ? - ? <= ?
		RETURNING tat`
	b.ReportAllocs()
	for b.Loop() {
		rebind(q)
	}
}
