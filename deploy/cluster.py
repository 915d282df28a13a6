"""The shop as a cluster on one machine, without containers: two app nodes (gunicorn, a Celery
worker and a beat each) behind nginx, a PostgreSQL primary with a streaming replica, Redis,
PgBouncer in transaction mode in front of the primary for the second node, and an
S3-compatible object store (moto's server). The same topology as deploy/compose.yaml.

    python deploy/cluster.py --smoke     start it, prove it works as one shop, stop it (CI)
    python deploy/cluster.py --measure   start it, measure one node against two, stop it
    python deploy/cluster.py --serve     start it and keep it running (Ctrl-C stops it)

What --smoke proves, with traffic through both nodes (docs/scale-out.md):
- a shopper who signs in on one node carries on on the other: session and cart intact;
- a shopper who signs out on one node is signed out on the other at its next request, though
  each node holds the sessions it reads in memory;
- a picture a member of staff uploads through one node is served to the other's pages,
  from the object store; no node keeps it on its disk;
- 20 customers racing through both nodes for the last unit: one order, stock 0;
- one Idempotency-Key sent to both nodes at once: one order, one charge;
- with the replica's replay paused, a shopper still sees the order they just placed and the
  price they just wrote, while anonymous catalogue reads come from the lagging replica;
- a node killed during a stream of orders loses none (clients retry with their keys) and
  the balancer routes around it;
- beat runs on both nodes and each periodic job is sent once; when the beat holding the lock
  dies, the other takes over.
"""

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
BUCKET = "auroramart-media"
PASSWORD = "auroramart-demo"  # the sample customers' password  # noqa: S105
STAFF = ("ops@cluster.test", "cluster-staff-password-1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check, seconds: float = 60, interval: float = 0.3):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(interval)
    raise RuntimeError(f"{what} did not come up within {seconds:g} s ({last})")


def postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    if not pg_ctl:
        raise SystemExit("PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup) are needed")
    return Path(pg_ctl).parent


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL and PgBouncer refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Cluster:
    def __init__(self, work: Path, *, pgbouncer: bool):
        self.work = work
        self.logs = work / "logs"
        self.logs.mkdir(parents=True)
        self.pg = postgres_bin()
        self.ports = {
            name: free_port()
            for name in ("primary", "replica", "bouncer", "redis", "s3", "balancer", "node-a", "node-b")
        }
        self.use_pgbouncer = pgbouncer and shutil.which("pgbouncer") is not None
        self.processes: dict[str, subprocess.Popen] = {}
        self.secret = secrets.token_urlsafe(50)
        self.base = f"http://127.0.0.1:{self.ports['balancer']}"
        self.node_urls = {n: f"http://127.0.0.1:{self.ports[n]}" for n in ("node-a", "node-b")}

    # --- the pieces -------------------------------------------------------------------------

    def spawn(self, name: str, command: list[str], env=None, cwd=ROOT) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115  (closed with the process)
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = process
        return process

    def start_postgres(self):
        data = self.work / "pg"
        data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(data, "postgres", "postgres")
        os.chmod(self.work, 0o755)
        primary, replica = data / "primary", data / "replica"
        run = lambda cmd: subprocess.run(as_postgres(cmd), check=True, capture_output=True)  # noqa: E731
        run([str(self.pg / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
        with open(primary / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.ports['primary']}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{data}'\nwal_level = replica\nmax_wal_senders = 4\n"
                "hot_standby = on\nmax_connections = 200\n"
                # A throwaway cluster: durability is not what is being shown here.
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        start = [str(self.pg / "pg_ctl"), "-w", "-t", "60"]
        run([*start, "-D", str(primary), "-l", str(data / "primary.log"), "start"])
        run(
            [
                str(self.pg / "pg_basebackup"),
                *("-h", "127.0.0.1", "-p", str(self.ports["primary"]), "-U", "postgres"),
                *("-D", str(replica), "-R", "-X", "stream", "-c", "fast"),
            ]
        )
        with open(replica / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.ports['replica']}\n")
        run([*start, "-D", str(replica), "-l", str(data / "replica.log"), "start"])
        self.pg_data = {"primary": primary, "replica": replica}
        self.psql("primary", "CREATE DATABASE shop")
        wait_for("the replica", lambda: self.psql("replica", "SELECT 1", db="shop") == "1")

    def psql(self, server: str, sql: str, db: str = "postgres") -> str:
        out = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.ports[server]), "-U", "postgres", "-d", db]
            + ["-tAq", "-c", sql],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()

    def start_pgbouncer(self):
        if not self.use_pgbouncer:
            return
        conf = self.work / "pgbouncer.ini"
        conf.write_text(
            "[databases]\n"
            f"shop = host=127.0.0.1 port={self.ports['primary']} dbname=shop user=postgres\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.ports['bouncer']}\n"
            f"unix_socket_dir = {self.work / 'pg'}\n"
            "auth_type = any\npool_mode = transaction\nmax_client_conn = 500\n"
            "default_pool_size = 20\nignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self.work / 'pg' / 'pgbouncer.log'}\n"
        )
        self.spawn("pgbouncer", as_postgres(["pgbouncer", str(conf)]))
        wait_for("PgBouncer", lambda: socket.create_connection(("127.0.0.1", self.ports["bouncer"]), 1))

    def start_redis(self):
        self.spawn(
            "redis",
            ["redis-server", "--port", str(self.ports["redis"]), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
        )
        wait_for("Redis", lambda: socket.create_connection(("127.0.0.1", self.ports["redis"]), 1))

    def start_object_store(self):
        self.spawn("s3", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.ports["s3"])])
        endpoint = f"http://127.0.0.1:{self.ports['s3']}"
        wait_for("the S3 server", lambda: requests.get(endpoint, timeout=2).ok)
        self.s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="cluster",
            aws_secret_access_key="cluster-secret",  # noqa: S106
        )
        # The bucket and its policy as a deployment makes them: pictures public, model files private.
        subprocess.run([PYTHON, "deploy/make_bucket.py"], cwd=ROOT, env=self.env("node-a"), check=True)

    def env(self, node: str) -> dict:
        """The settings every node shares, and the one difference: node B reaches the primary
        through PgBouncer (transaction mode), node A with psycopg's pool in each process."""
        p = self.ports
        database = f"postgres://postgres@127.0.0.1:{p['primary']}/shop"
        env = {
            **os.environ,
            "SECRET_KEY": self.secret,
            "DEBUG": "false",
            "AURORAMART_DEMO": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database,
            "DATABASE_REPLICA_URLS": f"postgres://postgres@127.0.0.1:{p['replica']}/shop",
            "DB_POOL": "true",
            "REDIS_URL": f"redis://127.0.0.1:{p['redis']}/0",
            "S3_BUCKET": BUCKET,
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{p['s3']}",
            "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": "cluster",
            "S3_SECRET_ACCESS_KEY": "cluster-secret",
            "S3_ADDRESSING_STYLE": "path",
            # Pictures are served through the balancer's /media/ (a proxy to the bucket), as a CDN would.
            "S3_MEDIA_DOMAIN": f"127.0.0.1:{p['balancer']}",
            "S3_URL_PROTOCOL": "http:",
            "STATIC_ROOT": str(self.work / "static"),
            "MEDIA_ROOT": str(self.work / f"disk-{node}"),  # must stay empty: media is in the bucket
            "BEHIND_PROXY": "true",
            "TRUSTED_PROXY_COUNT": "1",
            "STAFF_TWO_FACTOR_ROLES": "",
            # Every shopper of the smoke test comes from one address.
            "API_RATE_LIMIT": "100000/m",
            "API_SIGN_IN_RATE": "100000/m",
            "API_CHECKOUT_RATE": "100000/m",
            "LOG_LEVEL": "WARNING",
            "IDEMPOTENCY_IN_FLIGHT_SECONDS": "5",
            "BEAT_INTERVALS": "retry-unsent-emails=3",
            "BEAT_LOCK_TIMEOUT": "12",
            "NODE_NAME": node,
        }
        if node == "node-b" and self.use_pgbouncer:
            env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{p['bouncer']}/shop"
            env["PGBOUNCER"] = "true"
            env.pop("DB_POOL")
        return env

    def manage(self, *args, node="node-a", capture=False) -> str:
        out = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env(node), capture_output=True, text=True
        )
        if out.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{out.stderr[-3000:]}")
        return out.stdout

    def shell(self, code: str) -> dict:
        lines = self.manage("shell", "-v0", "-c", code).strip().splitlines()
        return json.loads(lines[-1])

    def prepare(self, products: int, customers: int):
        self.manage("migrate", "--no-input", "-v0")
        self.manage("setup_admin")
        self.manage(
            "create_sample_data",
            *("--products", str(products), "--customers", str(customers), "--orders", "300"),
            *("--images", "40", "--no-progress"),
        )
        self.manage("collectstatic", "--no-input", "-v0")
        self.manage("train_models", "--if-missing", "-v0")
        self.shell(
            "import json\nfrom auroramart.staff.services import create_staff\n"
            f"create_staff(email={STAFF[0]!r}, password={STAFF[1]!r}, role='Admin', first_name='Ops', "
            "last_name='Cluster')\nprint(json.dumps({}))"
        )

    def start_node_web(self, node: str):
        self.spawn(
            f"{node}-web",
            [str(BIN / "gunicorn"), "auroramart.wsgi", "--bind", f"127.0.0.1:{self.ports[node]}"]
            + ["--workers", "2", "--threads", "4", "--forwarded-allow-ips", "127.0.0.1"],
            self.env(node),
        )

    def start_node(self, node: str):
        env = self.env(node)
        self.start_node_web(node)
        self.spawn(
            f"{node}-worker",
            [str(BIN / "celery"), "-A", "auroramart", "worker", "--loglevel", "INFO", "--concurrency", "1"]
            + ["-n", f"{node}@%h"],
            env,
        )
        self.spawn(
            f"{node}-beat", [str(BIN / "celery"), "-A", "auroramart", "beat", "--loglevel", "INFO"], env
        )

    def start_balancer(self):
        """nginx with the balancer rules of deploy/nginx/shop.conf.template (the compose file's too)."""
        tmp = self.work / "nginx"
        tmp.mkdir()
        rules = string.Template((ROOT / "deploy" / "nginx" / "shop.conf.template").read_text())
        shop = rules.safe_substitute(
            NODE_A=f"127.0.0.1:{self.ports['node-a']}",
            NODE_B=f"127.0.0.1:{self.ports['node-b']}",
            LISTEN=f"127.0.0.1:{self.ports['balancer']}",
            MEDIA_ORIGIN=f"http://127.0.0.1:{self.ports['s3']}",
            S3_BUCKET=BUCKET,
        )
        conf = tmp / "nginx.conf"
        conf.write_text(
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"worker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {self.logs}/nginx-error.log warn;\n"
            "events { worker_connections 1024; }\nhttp {\n  access_log off;\n"
            f"  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;\n"
            f"  fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;\n"
            f"{shop}\n}}\n"
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.spawn("nginx", [nginx, "-c", str(conf), "-p", str(tmp), "-g", "daemon off;"])

    def start(self, *, products=120, customers=40):
        began = time.monotonic()
        self.start_postgres()
        self.start_pgbouncer()
        self.start_redis()
        self.start_object_store()
        self.prepare(products, customers)
        for node in ("node-a", "node-b"):
            self.start_node(node)
        self.start_balancer()
        for url in (*self.node_urls.values(), self.base):
            wait_for(url, lambda url=url: requests.get(f"{url}/readyz", timeout=5).ok, seconds=90)
        print(
            f"cluster up in {time.monotonic() - began:.0f} s: balancer {self.base}, nodes "
            f"{', '.join(self.node_urls.values())}; primary :{self.ports['primary']}, streaming replica "
            f":{self.ports['replica']}"
            + (f", PgBouncer :{self.ports['bouncer']} (node B)" if self.use_pgbouncer else "")
            + f", Redis :{self.ports['redis']}, S3 :{self.ports['s3']}; logs in {self.logs}",
            flush=True,
        )

    def kill(self, name: str, sig=signal.SIGKILL):
        process = self.processes.get(name)
        if process and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            process.wait(timeout=30)

    def stop(self):
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM)
        for server in ("replica", "primary"):
            data = getattr(self, "pg_data", {}).get(server)
            if data:
                subprocess.run(
                    as_postgres([str(self.pg / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                    capture_output=True,
                )


# --- the smoke test: one shop, whichever node answers -------------------------------------------

CSRF = r'name="csrfmiddlewaretoken" value="([^"]+)"'
SETUP = """
import json
from auroramart.accounts.models import User
from auroramart.cart.storage import DbCart
from auroramart.catalog.models import ProductVariant
from auroramart.inventory.services import adjust_stock
variants = list(ProductVariant.objects.filter(is_active=True, product__is_active=True, stock_quantity__gte=50)
                .select_related("product").order_by("pk")[:40])
last = variants[0]
adjust_stock(variant=last, quantity=1 - last.stock_quantity, reason="cluster smoke: the last unit")
for user in User.objects.filter(email__startswith="customer"):
    DbCart(user).clear()
print(json.dumps({"last": last.pk, "variants": [
    {"id": v.pk, "product": v.product_id, "name": v.product.name, "slug": v.product.slug} for v in variants[1:]]}))
"""


def check(condition, message: str):
    if not condition:
        raise AssertionError(message)


def customer(n: int) -> str:
    return f"customer{n:03d}@example.test"


def csrf_from(session: requests.Session, url: str) -> str:
    import re

    return re.search(CSRF, session.get(url, timeout=30).text).group(1)


def sign_in(session: requests.Session, url: str, email: str, password: str = PASSWORD, path="/login/"):
    token = csrf_from(session, f"{url}{path}")
    response = session.post(
        f"{url}{path}",
        data={"username": email, "password": password, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=30,
    )
    check(response.status_code == 302, f"signing in {email} at {url}{path} answered {response.status_code}")


def api_token(url: str, email: str) -> dict:
    response = requests.post(
        f"{url}/api/v1/auth/token", json={"email": email, "password": PASSWORD}, timeout=30
    )
    check(response.status_code == 201, f"no API token for {email}: {response.status_code}")
    return {"Authorization": f"Bearer {response.json()['token']}"}


def api_add(url: str, auth: dict, variant: int, key: str | None = None):
    headers = {**auth, **({"Idempotency-Key": key} if key else {})}
    response = requests.post(
        f"{url}/api/v1/cart/items", json={"variant_id": variant, "quantity": 1}, headers=headers, timeout=30
    )
    return response


def api_checkout(url: str, auth: dict, key: str):
    return requests.post(
        f"{url}/api/v1/checkout",
        json={"payment_method": "pm_card_visa"},
        headers={**auth, "Idempotency-Key": key},
        timeout=60,
    )


class Smoke:
    def __init__(self, cluster: Cluster):
        self.c = cluster
        self.a, self.b = cluster.node_urls["node-a"], cluster.node_urls["node-b"]
        self.began = time.monotonic()
        self.data = cluster.shell(SETUP)
        self.variants = self.data["variants"]

    def ok(self, message: str):
        print(f"  ok: {message}", flush=True)

    def traffic_spreads(self):
        seen = {requests.get(f"{self.c.base}/item/", timeout=30).headers.get("X-Upstream") for _ in range(12)}
        check(len(seen) == 2, f"the balancer sent everything to {seen}")
        self.ok(f"the balancer spreads requests over both nodes ({', '.join(sorted(seen))})")

    def session_moves_between_nodes(self):
        shopper = requests.Session()
        sign_in(shopper, self.a, customer(1))
        item = self.variants[0]
        response = shopper.post(
            f"{self.a}/checkout/cart/add/",
            data={"variant_id": item["id"], "quantity": 2},
            headers={"X-CSRFToken": shopper.cookies["csrftoken"], "HX-Request": "true"},
            timeout=30,
        )
        check(response.status_code == 200, f"adding to the cart on node A: {response.status_code}")
        cart = shopper.get(f"{self.b}/checkout/cart/", allow_redirects=False, timeout=30)
        check(cart.status_code == 200, f"node B's cart page answered {cart.status_code}")
        check(item["name"] in cart.text, "node B does not show the cart filled on node A")
        orders = shopper.get(f"{self.b}/orders/", allow_redirects=False, timeout=30)
        check(orders.status_code == 200, "node B does not know the session signed in on node A")
        self.ok("signed in and filled the cart on node A; node B shows the same session and cart")

    def signing_out_on_one_node_ends_the_session_on_the_other(self):
        """Each node holds the sessions it reads in memory (core/key_mirror.py): signing out on
        node A must end the session on node B's very next request, for whoever still holds the
        old cookie."""
        shopper = requests.Session()
        sign_in(shopper, self.a, customer(37))
        old = shopper.cookies["sessionid"]
        for _ in range(3):  # node B now holds the session
            seen = requests.get(
                f"{self.b}/orders/", cookies={"sessionid": old}, allow_redirects=False, timeout=30
            )
            check(
                seen.status_code == 200,
                f"node B does not know the session signed in on node A: {seen.status_code}",
            )
        token = csrf_from(shopper, f"{self.a}/orders/")
        out = shopper.post(
            f"{self.a}/logout/", data={"csrfmiddlewaretoken": token}, allow_redirects=False, timeout=30
        )
        check(out.status_code == 302, f"signing out on node A answered {out.status_code}")
        after = requests.get(
            f"{self.b}/orders/", cookies={"sessionid": old}, allow_redirects=False, timeout=30
        )
        check(
            after.status_code == 302 and "/login/" in after.headers.get("Location", ""),
            f"node B still serves the session signed out on node A: {after.status_code}",
        )
        self.ok("signed out on node A: the old session cookie is refused by node B on its next request")

    def upload_is_served_by_the_other_node(self):
        from io import BytesIO

        from PIL import Image

        staff = requests.Session()
        sign_in(staff, self.a, STAFF[0], STAFF[1], path="/admin-panel/login/")
        product = self.variants[1]
        picture = BytesIO()
        Image.new("RGB", (800, 800), (20, 90, 160)).save(picture, "JPEG")
        token = csrf_from(staff, f"{self.a}/admin-panel/products/{product['product']}/")
        response = staff.post(
            f"{self.a}/admin-panel/products/{product['product']}/images/",
            data={"csrfmiddlewaretoken": token, "primary": "1"},
            files={"image": ("cluster-upload.jpg", picture.getvalue(), "image/jpeg")},
            allow_redirects=False,
            timeout=60,
        )
        check(response.status_code == 302, f"the upload through node A answered {response.status_code}")
        stored = self.c.shell(
            "import json\nfrom auroramart.catalog.models import ProductImage\n"
            f"i = ProductImage.objects.filter(product_id={product['product']}, is_primary=True).get()\n"
            "print(json.dumps({'image': i.image.name, 'thumbnail': i.thumbnail.name}))"
        )
        check("cluster-upload" in stored["image"], f"the new picture is not the primary one: {stored}")
        keys = {o["Key"] for o in self.c.s3.list_objects_v2(Bucket=BUCKET, Prefix="media/")["Contents"]}
        check(
            {f"media/{stored['image']}", f"media/{stored['thumbnail']}"} <= keys,
            "the bucket lacks the upload",
        )
        page = requests.get(f"{self.b}/item/{product['slug']}/", timeout=30).text
        url = f"{self.c.base}/media/{stored['image']}"
        check(
            url in page or f"{self.c.base}/media/{stored['thumbnail']}" in page,
            "node B's page lacks the picture",
        )
        served = requests.get(url, timeout=30)
        check(
            served.ok and Image.open(BytesIO(served.content)).size == (800, 800), "the picture is not served"
        )
        models = [o["Key"] for o in self.c.s3.list_objects_v2(Bucket=BUCKET, Prefix="models/")["Contents"]]
        private = requests.get(f"http://127.0.0.1:{self.c.ports['s3']}/{BUCKET}/{models[0]}", timeout=30)
        check(private.status_code == 403, f"a model file is readable without keys: {private.status_code}")
        disks = [
            p
            for node in ("node-a", "node-b")
            for p in (self.c.work / f"disk-{node}").rglob("*")
            if p.is_file()
        ]
        check(not disks, f"files on a node's disk: {disks}")
        self.ok(
            "a picture uploaded through node A is in the bucket, on node B's page, served at /media/; "
            f"{len(models)} model files in the bucket, private; nothing on either node's disk"
        )

    def last_unit_sells_once(self):
        emails = [customer(n) for n in range(2, 22)]
        with ThreadPoolExecutor(20) as pool:
            auths = list(pool.map(lambda e: api_token(self.c.base, e), emails))
            adds = list(pool.map(lambda a: api_add(self.c.base, a, self.data["last"]).status_code, auths))
        check(adds.count(200) == 20, f"adding the last unit to 20 carts: {adds}")
        barrier = threading.Barrier(20)

        def buy(i):
            barrier.wait()
            node = self.a if i % 2 else self.b
            return api_checkout(node, auths[i], f"cluster-last-{i}").status_code

        with ThreadPoolExecutor(20) as pool:
            codes = list(pool.map(buy, range(20)))
        check(codes.count(201) == 1 and not [c for c in codes if c >= 500], f"20 buyers of 1 unit: {codes}")
        state = self.c.shell(
            "import json\nfrom django.db.models import Sum\nfrom auroramart.catalog.models import ProductVariant\n"
            "from auroramart.inventory.selectors import ledger_mismatches\n"
            "from auroramart.orders.models import OrderItem\n"
            f"v = {self.data['last']}\n"
            "sold = OrderItem.objects.filter(variant_id=v).exclude(order__status='cancelled')"
            ".filter(order__user__email__in=%r, order__idempotency_key__startswith='api:')"
            ".aggregate(n=Sum('quantity'))['n'] or 0\n"
            % emails
            + "print(json.dumps({'sold': sold, 'stock': ProductVariant.objects.get(pk=v).stock_quantity, "
            "'ledger': len(ledger_mismatches())}))"
        )
        check(state == {"sold": 1, "stock": 0, "ledger": 0}, f"after the race: {state}")
        self.ok(
            f"20 buyers through both nodes for the last unit: one order, stock 0, ledger balanced (the others: {sorted(set(codes) - {201})})"
        )

    def one_key_one_charge(self):
        auth = api_token(self.c.base, customer(22))
        check(api_add(self.a, auth, self.variants[2]["id"]).status_code == 200, "cart")
        barrier = threading.Barrier(2)

        def send(url):
            barrier.wait()
            return api_checkout(url, auth, "cluster-one-key")

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(send, (self.a, self.b)))
        codes = sorted(r.status_code for r in answers)
        check(codes in ([201, 201], [201, 409]), f"one key at both nodes: {codes}")
        replay = wait_for(
            "the key's replay",
            lambda: (r := api_checkout(self.b, auth, "cluster-one-key")).status_code == 201 and r,
            seconds=20,
        )
        number = replay.json()["number"]
        charges = self.c.shell(
            "import json\nfrom auroramart.orders.models import Order\nfrom auroramart.payments.models import TestGatewayCharge\n"
            f"o = Order.objects.filter(user__email={customer(22)!r}, idempotency_key__startswith='api:')\n"
            "print(json.dumps({'orders': o.count(), 'charges': TestGatewayCharge.objects.filter("
            f"idempotency_key__contains={number!r}).count()}}))"
        )
        check(charges == {"orders": 1, "charges": 1}, f"one key at both nodes made {charges}")
        self.ok(
            f"one Idempotency-Key sent to both nodes at once: answers {codes}, one order {number}, one charge"
        )

    def lagging_replica_never_hides_your_own_writes(self):
        self.c.psql("replica", "SELECT pg_wal_replay_pause()")
        wait_for(
            "the paused replay",
            lambda: self.c.psql("replica", "SELECT pg_get_wal_replay_pause_state()") == "paused",
        )
        try:
            auth = api_token(self.c.base, customer(23))
            item = self.variants[3]
            check(api_add(self.c.base, auth, item["id"]).status_code == 200, "cart")
            placed = api_checkout(self.a, auth, "cluster-lag")
            check(placed.status_code == 201, f"placing an order while the replica lags: {placed.status_code}")
            number = placed.json()["number"]
            for url in (self.a, self.b):
                mine = requests.get(f"{url}/api/v1/orders/{number}", headers=auth, timeout=30)
                check(
                    mine.status_code == 200, f"{url}: the shopper's own order is missing ({mine.status_code})"
                )
                listed = requests.get(f"{url}/api/v1/orders", headers=auth, timeout=30).json()["items"]
                check(
                    number in {o["number"] for o in listed}, f"{url}: the order is not in the shopper's list"
                )
            # Something only the primary has: a product created now. The shopper who just wrote reads the
            # primary and finds it; an anonymous visitor reads the paused replica and does not, yet.
            created = self.c.shell(
                "import json\nfrom decimal import Decimal\nfrom auroramart.catalog.models import Product\n"
                "from auroramart.catalog.services import create_product\n"
                f"p = Product.objects.get(pk={item['product']})\n"
                "n = create_product(sku='CLUSTER-LAG-1', name='Cluster Lag Lamp', subcategory=p.subcategory, "
                "brand=p.brand, price=Decimal('42.00'), stock=5)\n"
                "print(json.dumps({'slug': n.slug}))"
            )
            path = f"/api/v1/products/{created['slug']}"
            anonymous = requests.get(f"{self.b}{path}", timeout=30)
            check(
                anonymous.status_code == 404 and anonymous.headers.get("X-Read-From") == "replica1",
                f"an anonymous read should come from the lagging replica: {anonymous.status_code} "
                f"{anonymous.headers.get('X-Read-From')}",
            )
            own = requests.get(f"{self.a}{path}", headers=auth, timeout=30)
            check(
                own.status_code == 200 and "X-Read-From" not in own.headers,
                "the writer read the lagging replica",
            )
        finally:
            self.c.psql("replica", "SELECT pg_wal_replay_resume()")
        wait_for(
            "the replica to catch up", lambda: requests.get(f"{self.b}{path}", timeout=30).status_code == 200
        )
        self.ok(
            f"replica paused: the shopper sees order {number} on both nodes; anonymous reads come from the "
            "replica (without the new product) until replay resumes"
        )

    def killed_node_loses_no_order(self):
        emails = [customer(n) for n in range(24, 36)]
        with ThreadPoolExecutor(len(emails)) as pool:
            auths = list(pool.map(lambda e: api_token(self.c.base, e), emails))
        results, retries, undone, stop_at = [], [0], [0], time.monotonic() + 12

        def persist(send):
            """A client that retries what failed in transit with the same key, as a mobile app would."""
            deadline = time.monotonic() + 60
            while True:
                try:
                    response = send()
                    if response.status_code not in (502, 503, 504) and not (
                        response.status_code == 409
                        and response.json().get("code") == "idempotency_in_progress"
                    ):
                        return response
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                    # Lost in transit: refused, reset, or cut off mid-body when the node died
                    # after sending the headers. The same key makes the retry safe.
                    pass
                retries[0] += 1
                check(time.monotonic() < deadline, "a request kept failing for a minute")
                time.sleep(0.5)

        def shopper(i):
            n = 0
            while time.monotonic() < stop_at:
                n += 1
                key = f"cluster-kill-{i}-{n}"
                item = self.variants[4 + (i + n) % 20]["id"]
                added = persist(
                    lambda item=item, key=key: api_add(self.c.base, auths[i], item, key=f"{key}-add")
                )
                check(added.status_code == 200, f"add: {added.status_code} {added.text[:200]}")
                placed = persist(lambda key=key: api_checkout(self.c.base, auths[i], key))
                if placed.status_code == 402:
                    # The node died before the card was charged: the retry settled it as not
                    # charged (the order undone, the cart freed). The shopper pays again.
                    undone[0] += 1
                    placed = persist(lambda key=key: api_checkout(self.c.base, auths[i], f"{key}-again"))
                check(placed.status_code == 201, f"checkout: {placed.status_code} {placed.text[:200]}")
                results.append((key, placed.json()["number"]))

        with ThreadPoolExecutor(len(emails)) as pool:
            running = [pool.submit(shopper, i) for i in range(len(emails))]
            time.sleep(4)
            before = len(results)
            self.c.kill("node-a-web")
            for future in running:
                future.result()
        numbers = [n for _, n in results]
        check(len(set(numbers)) == len(numbers), "two keys answered with one order")
        state = self.c.shell(
            "import json\nfrom auroramart.orders.models import Order\n"
            "from auroramart.orders.selectors import payment_mismatches\n"
            f"emails = {emails!r}\n"
            "orders = Order.objects.filter(user__email__in=emails, idempotency_key__startswith='api:')\n"
            "print(json.dumps({'numbers': sorted(orders.filter(status='paid').values_list('number', flat=True)), "
            "'mismatches': payment_mismatches()}))"
        )
        check(
            sorted(numbers) == state["numbers"], "the paid orders and those the clients were told of differ"
        )
        check(not state["mismatches"], f"a charge without its order after the kill: {state['mismatches']}")
        answers = [requests.get(f"{self.c.base}/item/", timeout=30) for _ in range(8)]
        served_by = {r.headers.get("X-Upstream", "").split(", ")[-1] for r in answers}  # the last one tried
        check(all(r.ok for r in answers), "a page failed after the kill")
        check(
            served_by == {f"127.0.0.1:{self.c.ports['node-b']}"}, f"the balancer still sends to {served_by}"
        )
        self.ok(
            f"node A killed after {before} of {len(results)} orders from {len(emails)} shoppers: every order "
            f"placed once and paid, {retries[0]} retries with the same keys ({undone[0]} found not charged and "
            "paid again), no charge without its order, the balancer routes to node B only"
        )
        self.c.start_node_web("node-a")

    def jobs_run_once(self):
        def sends(node):
            log = (self.c.logs / f"{node}-beat.log").read_text(errors="replace")
            return log.count("Sending due task retry-unsent-emails")

        def received():
            ids = []
            for node in ("node-a", "node-b"):
                log = (self.c.logs / f"{node}-worker.log").read_text(errors="replace")
                ids += [
                    line.split("[", 1)[1].split("]", 1)[0]
                    for line in log.splitlines()
                    if "retry_unsent_emails[" in line and "received" in line
                ]
            return ids

        counts = {node: sends(node) for node in ("node-a", "node-b")}
        leaders = [node for node, n in counts.items() if n]
        check(len(leaders) == 1, f"both beats sent jobs: {counts}")
        elapsed = time.monotonic() - self.began
        total = sum(counts.values())
        check(total >= elapsed / 3 * 0.6, f"{total} runs in {elapsed:.0f} s of a job due every 3 s")
        time.sleep(2)
        ids = received()
        check(
            len(ids) == len(set(ids)) and len(ids) >= total,
            f"{total} sent, received {len(ids)} ({len(set(ids))} distinct)",
        )
        leader, standby = leaders[0], ({"node-a", "node-b"} - set(leaders)).pop()
        self.c.kill(f"{leader}-beat")
        wait_for(f"{standby}'s beat to take over", lambda: sends(standby) > 0, seconds=45, interval=1)
        self.ok(
            f"beat on both nodes, one sends: {total} runs of a 3-second job in {elapsed:.0f} s, each received once; "
            f"{standby} took over when {leader}'s beat was killed"
        )

    def run(self):
        for step in (
            self.traffic_spreads,
            self.session_moves_between_nodes,
            self.signing_out_on_one_node_ends_the_session_on_the_other,
            self.upload_is_served_by_the_other_node,
            self.last_unit_sells_once,
            self.one_key_one_charge,
            self.lagging_replica_never_hides_your_own_writes,
            self.killed_node_loses_no_order,
            self.jobs_run_once,
        ):
            step()


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--smoke", action="store_true", help="prove the cluster behaves as one shop (CI)")
    mode.add_argument(
        "--measure", action="store_true", help="requests and orders per second, one node vs two"
    )
    mode.add_argument("--serve", action="store_true", help="start the cluster and keep it running")
    parser.add_argument("--no-pgbouncer", action="store_true", help="node B connects straight to the primary")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, data) afterwards")
    args = parser.parse_args()
    for program in ("nginx", "redis-server", "psql"):
        if not (shutil.which(program) or Path(f"/usr/sbin/{program}").exists()):
            raise SystemExit(f"{program} is needed (Debian: apt-get install nginx redis-server postgresql)")
    work = Path(tempfile.mkdtemp(prefix="auroramart-cluster-"))
    cluster = Cluster(work, pgbouncer=not args.no_pgbouncer)
    failed = False
    try:
        cluster.start()
        if args.smoke:
            began = time.monotonic()
            Smoke(cluster).run()
            print(f"cluster smoke: passed in {time.monotonic() - began:.0f} s", flush=True)
        elif args.measure:
            from capacity import measure  # noqa: PLC0415  (deploy/capacity.py, beside this script)

            measure(cluster)
        else:
            print("serving; Ctrl-C stops the cluster", flush=True)
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except BaseException:
        failed = True
        for log in sorted(cluster.logs.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-15:]
            print(f"--- {log.name} (last lines)\n" + "\n".join(tail), file=sys.stderr)
        raise
    finally:
        cluster.stop()
        if args.keep or failed:
            print(f"work folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
