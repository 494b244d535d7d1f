//! Running the lowered form (`painless::ir`): each step does what the interpreter does for
//! the syntax it came from (same operations, same error positions), with the variable found
//! at its slot and the function already chosen.

use super::super::ir::{N, NKind, Op, OpKind, Target};
use super::*;

impl<'a> Interp<'a> {
    /// Runs a lowered main body; the value of a final expression statement (or `return`) is
    /// returned, as [`Interp::run_main`] does.
    pub fn run_lowered_main(&mut self, body: &'a [Op]) -> Res<V<'a>> {
        let n = body.len();
        for (i, op) in body.iter().enumerate() {
            if i + 1 == n
                && let OpKind::Expr(e) = &op.kind
            {
                return self.ev(e);
            }
            match self.op(op)? {
                Flow::Return(v) => return Ok(v),
                Flow::Normal | Flow::Break | Flow::Continue => {}
            }
        }
        Ok(V::Null)
    }

    /// Runs lowered statements as a block: the variables they declare are gone afterwards.
    pub(super) fn ops(&mut self, body: &'a [Op]) -> Res<Flow<'a>> {
        let mark = self.vars.len();
        let mut r = Ok(Flow::Normal);
        for op in body {
            match self.op(op) {
                Ok(Flow::Normal) => {}
                other => {
                    r = other;
                    break;
                }
            }
        }
        self.vars.truncate(mark);
        r
    }

    #[inline]
    fn op(&mut self, op: &'a Op) -> Res<Flow<'a>> {
        self.op_inner(op).map_err(|e| e.at(op.pos))
    }

    fn op_inner(&mut self, op: &'a Op) -> Res<Flow<'a>> {
        match &op.kind {
            OpKind::Expr(e) => {
                self.ev(e)?;
            }
            OpKind::Decl(t, vars) => {
                for (name, init) in vars {
                    let v = match init {
                        Some(e) => {
                            let v = self.ev(e)?;
                            convert(v, t, false).map_err(|x| x.at(e.pos))?
                        }
                        None => default_value(t),
                    };
                    self.vars.push((name, t, v));
                }
            }
            OpKind::If(c, a, b) => {
                if self.decide(c)? {
                    return self.ops(a);
                }
                if let Some(b) = b {
                    return self.ops(b);
                }
            }
            OpKind::Return(e) => {
                let v = match e {
                    Some(e) => self.ev(e)?,
                    None => V::Null,
                };
                return Ok(Flow::Return(v));
            }
            OpKind::Block(b) => return self.ops(b),
            OpKind::Stmt(s) => return self.exec(s),
        }
        Ok(Flow::Normal)
    }

    /// The variable at `slot` of the running frame, when it is the one named `name` (it
    /// always is: the lowering follows the interpreter's frame layout; the name check keeps a
    /// mismatch from reading another variable).
    #[inline(always)]
    fn slot(&self, slot: usize, name: &str) -> Option<&V<'a>> {
        match self.vars.get(self.frame + slot) {
            Some((n, _, v)) if same_name(n, name) => Some(v),
            _ => self.lookup(name).map(|i| &self.vars[i].2),
        }
    }

    /// A test of a variable (`v == null`, `v == 'literal'`, `v instanceof T`), decided in
    /// place; None for any other test (or a variable not found), which `test` decides.
    #[inline(always)]
    fn local_test(&self, e: &'a N) -> Option<bool> {
        let (NKind::IsNull(x, _) | NKind::IsStr(x, _, _) | NKind::InstanceOf(x, ..)) = &e.kind
        else {
            return None;
        };
        let NKind::Local(slot, name) = &x.kind else {
            return None;
        };
        leaf_answer(&e.kind, self.slot(*slot, name)?)
    }

    /// A lowered test: a test of a variable in place, any other by [`Interp::test`].
    #[inline(always)]
    fn decide(&mut self, e: &'a N) -> Res<bool> {
        match self.local_test(e) {
            Some(yes) => Ok(yes),
            None => self.test(e),
        }
    }

    /// Evaluates a lowered boolean test, as [`Interp::cond`] does.
    fn test(&mut self, e: &'a N) -> Res<bool> {
        match &e.kind {
            NKind::And(l, r) => Ok(self.decide(l)? && self.decide(r)?),
            NKind::Or(l, r) => Ok(self.decide(l)? || self.decide(r)?),
            NKind::IsNull(x, _) | NKind::IsStr(x, _, _) | NKind::InstanceOf(x, ..) => {
                let v = self.ev(x)?;
                Ok(leaf_answer(&e.kind, &v).unwrap_or_default())
            }
            _ => match self.ev(e)? {
                V::Bool(b) => Ok(b),
                other => Err(
                    Exc::cce(format!("Cannot cast {} to boolean", other.class_name())).at(e.pos),
                ),
            },
        }
    }

    /// Evaluates arguments in order.
    fn evs(&mut self, args: &'a [N]) -> Res<Vec<V<'a>>> {
        let mut out = Vec::with_capacity(args.len());
        for a in args {
            out.push(self.ev(a)?);
        }
        Ok(out)
    }

    /// An assignment, as [`Interp::assign`] does it; `target_pos` is where the target starts.
    fn store(
        &mut self,
        to: &'a Target,
        op: Option<BinOp>,
        value: &'a N,
        target_pos: usize,
    ) -> Res<V<'a>> {
        match to {
            Target::Local(slot, name) => {
                // The variable is found before the value is evaluated, which cannot change
                // the frame's variables.
                let i = match self.vars.get(self.frame + slot) {
                    Some((n, _, _)) if same_name(n, name) => self.frame + slot,
                    _ => self
                        .lookup(name)
                        .ok_or_else(|| Exc::iae(format!("cannot resolve symbol [{name}]")))?,
                };
                let rhs = self.ev(value)?;
                self.put_var(i, op, rhs)
            }
            Target::Field(obj, name, null_safe) => {
                let o = self.ev(obj)?;
                if o.is_null() && *null_safe {
                    return Ok(V::Null);
                }
                let rhs = self.ev(value)?;
                put_field(&o, name, op, rhs, target_pos)
            }
            Target::Index(obj, idx) => {
                let o = self.ev(obj)?;
                let k = self.ev(idx)?;
                let rhs = self.ev(value)?;
                put_index(&o, k, op, rhs, target_pos)
            }
        }
    }

    /// Evaluates a lowered expression, as [`Interp::eval`] does.
    pub(super) fn ev(&mut self, e: &'a N) -> Res<V<'a>> {
        match &e.kind {
            NKind::Local(slot, name) => {
                if let Some(v) = self.slot(*slot, name) {
                    return Ok(v.clone());
                }
                Err(Exc::iae(format!("cannot resolve symbol [{name}]")).at(e.pos))
            }
            NKind::Null => Ok(V::Null),
            NKind::Bool(b) => Ok(V::Bool(*b)),
            NKind::Int(i) => Ok(V::Int(*i)),
            NKind::Long(l) => Ok(V::Long(*l)),
            NKind::Double(d) => Ok(V::Double(*d)),
            NKind::Str(s) => Ok(V::Str(JStr::Lent(s))),
            NKind::Expr(x) => self.eval(x),
            _ => self.ev_inner(e).map_err(|x| x.at(e.pos)),
        }
    }

    fn ev_inner(&mut self, e: &'a N) -> Res<V<'a>> {
        Ok(match &e.kind {
            NKind::Field(obj, name, null_safe) => {
                // Lowered code runs scripts, whose ctx is never a condition's document view:
                // the receiver is evaluated as `eval_object` would.
                let o = self.ev(obj)?;
                if o.is_null() && *null_safe {
                    return Ok(V::Null);
                }
                get_field(&o, name)?
            }
            NKind::Call(obj, name, args, null_safe) => {
                let o = self.ev(obj)?;
                if o.is_null() {
                    if *null_safe {
                        return Ok(V::Null);
                    }
                    return Err(cannot_access(name));
                }
                let vals = self.evs(args)?;
                builtins::call_method(self, o, name, vals)?
            }
            NKind::CallFn(i, args) => {
                let f: &'a Function = &self.functions[*i];
                let base = self.vars.len();
                for a in args {
                    match self.ev(a) {
                        // Unnamed until the call starts, so later arguments cannot see them.
                        Ok(v) => self.vars.push(("", &DEF, v)),
                        Err(e) => {
                            self.vars.truncate(base);
                            return Err(e);
                        }
                    }
                }
                let out = self.enter(base, &f.params, self.code_of(f));
                function_result(f, out?)?
            }
            NKind::Cast(t, x, class) => {
                let v = self.ev(x)?;
                match class {
                    // What `convert` keeps for a class: null or an instance.
                    Some(is) if v.is_null() || is(&v) => v,
                    _ => convert(v, t, true)?,
                }
            }
            NKind::Unary(op, x) => {
                let v = self.ev(x)?;
                unary(*op, v)?
            }
            NKind::And(..)
            | NKind::Or(..)
            | NKind::IsNull(..)
            | NKind::IsStr(..)
            | NKind::InstanceOf(..) => V::Bool(self.decide(e)?),
            NKind::Lambda(l, forward) => {
                // As the interpreter makes a lambda: a forwarding one captures nothing.
                let (captured, forward) = match forward {
                    Some((i, pos)) => (Vec::new(), Some((&*self.functions[*i], *pos))),
                    None => (self.vars[self.frame..].to_vec(), None),
                };
                V::obj(Obj::Func(Func::Lambda(l, captured, forward)))
            }
            NKind::ListInit(items) => V::new_list(self.evs(items)?),
            NKind::MapInit(entries) => {
                let mut m =
                    indexmap::IndexMap::with_capacity_and_hasher(entries.len(), Default::default());
                for (k, v) in entries {
                    let k = self.ev(k)?;
                    let v = self.ev(v)?;
                    m.insert(K(k), v);
                }
                V::new_map(m)
            }
            NKind::New(class, args) => {
                let args = self.evs(args)?;
                builtins::construct(self, class, args)?
            }
            NKind::Index(obj, idx) => {
                let o = self.ev(obj)?;
                let i = self.ev(idx)?;
                get_index(&o, &i)?
            }
            NKind::StaticCall(class, name, args) => {
                let args = self.evs(args)?;
                builtins::call_static(self, class, name, args)?
            }
            NKind::Binary(op, l, r) => {
                let a = self.ev(l)?;
                let b = self.ev(r)?;
                binary(*op, a, b)?
            }
            NKind::Cond(c, a, b) => {
                if self.test(c)? {
                    self.ev(a)?
                } else {
                    self.ev(b)?
                }
            }
            NKind::Elvis(a, b) => {
                let v = self.ev(a)?;
                if v.is_null() { self.ev(b)? } else { v }
            }
            NKind::Assign(to, op, value, target_pos) => self.store(to, *op, value, *target_pos)?,
            NKind::Local(..)
            | NKind::Null
            | NKind::Bool(_)
            | NKind::Int(_)
            | NKind::Long(_)
            | NKind::Double(_)
            | NKind::Str(_)
            | NKind::Expr(_) => self.ev(e)?,
        })
    }
}

/// The answer of a test of a value (`IsNull`, `IsStr`, `InstanceOf`) for the value `v`;
/// None for any other kind of node.
#[inline(always)]
fn leaf_answer(test: &NKind, v: &V<'_>) -> Option<bool> {
    Some(match test {
        NKind::IsNull(_, negated) => v.is_null() != *negated,
        NKind::IsStr(_, lit, negated) => matches!(v, V::Str(s) if **s == **lit) != *negated,
        NKind::InstanceOf(_, t, class) => is_a(v, t, *class),
        _ => return None,
    })
}

/// `v instanceof t`, by the class test when there is one.
#[inline(always)]
fn is_a(v: &V<'_>, t: &Ty, class: Option<super::super::ir::ClassTest>) -> bool {
    match class {
        Some(is) => is(v),
        None => instance_of(v, t),
    }
}
