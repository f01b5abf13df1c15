// The message catalog: every string a person reads on the pages, keyed by
// stable ids, zh-CN first and English second. The API speaks machine codes
// (event kinds ev.*, decision reasons reason.*, door modes mode.*, error
// codes err.*); the pages turn them into whole sentences with named
// placeholders ({door}, {person}…) that a translator may reorder.
// The object between the catalog markers is plain JSON: a Go test
// (api/i18n_test.go) parses it and checks that every key has both languages
// and that every code in the Go code has an entry.
const MESSAGES = /* catalog */
{
  "page.console.title": {"zh-CN": "门卫 — 值班台", "en": "menwei — guard console"},
  "page.console.heading": {"zh-CN": "门卫 — 值班台", "en": "menwei — guard console"},
  "page.phone.title": {"zh-CN": "门卫 — 我的门", "en": "menwei — my doors"},
  "page.phone.heading": {"zh-CN": "门卫 — 我的门", "en": "menwei — my doors"},
  "page.index.title": {"zh-CN": "门卫", "en": "menwei"},
  "page.index.heading": {"zh-CN": "门卫", "en": "menwei"},
  "page.index.choose": {"zh-CN": "请选择", "en": "Choose"},
  "page.index.console": {"zh-CN": "门卫值班台", "en": "Guard console"},
  "page.index.phone": {"zh-CN": "住户手机页面", "en": "Resident phone page"},
  "lang.label": {"zh-CN": "语言", "en": "Language"},
  "lang.name.zh-CN": {"zh-CN": "中文", "en": "中文"},
  "lang.name.en": {"zh-CN": "English", "en": "English"},
  "who.session": {"zh-CN": "{account}（{role}）", "en": "{account} ({role})"},
  "role.admin": {"zh-CN": "管理员", "en": "admin"},
  "role.guard": {"zh-CN": "门卫", "en": "guard"},
  "role.device": {"zh-CN": "住户手机", "en": "resident's phone"},
  "role.unknown": {"zh-CN": "其他角色", "en": "another role"},
  "login.heading": {"zh-CN": "登录", "en": "Sign in"},
  "login.account": {"zh-CN": "账号", "en": "Account"},
  "login.password": {"zh-CN": "密码", "en": "Password"},
  "login.submit": {"zh-CN": "登录", "en": "Sign in"},
  "tabs.label": {"zh-CN": "功能", "en": "Sections"},
  "tabs.gate": {"zh-CN": "门岗", "en": "Gate"},
  "doors.heading": {"zh-CN": "门", "en": "Doors"},
  "doors.emergency_unlock": {"zh-CN": "全部紧急开门", "en": "Emergency unlock all"},
  "doors.lockdown": {"zh-CN": "封锁", "en": "Lockdown"},
  "doors.normal": {"zh-CN": "恢复正常", "en": "Back to normal"},
  "doors.open": {"zh-CN": "开门", "en": "Open"},
  "doors.none": {"zh-CN": "没有配置门", "en": "No doors are configured"},
  "door.state.open": {"zh-CN": "门开着", "en": "open"},
  "door.state.closed": {"zh-CN": "门关着", "en": "closed"},
  "door.state.lock_offline": {"zh-CN": "门锁离线", "en": "lock offline"},
  "door.opened": {"zh-CN": "{door}已打开", "en": "{door} opened"},
  "door.asked": {"zh-CN": "{door}：已请求开门，门锁尚未确认，门可能没有打开", "en": "{door}: asked to open, the lock has not confirmed yet"},
  "door.failed": {"zh-CN": "{door}：{error}", "en": "{door}: {error}"},
  "door.denied": {"zh-CN": "{door}：不允许开门，{reason}", "en": "{door}: not allowed to open: {reason}"},
  "mode.normal": {"zh-CN": "正常", "en": "normal"},
  "mode.emergency_unlock": {"zh-CN": "紧急开门", "en": "emergency unlock"},
  "mode.lockdown": {"zh-CN": "封锁", "en": "lockdown"},
  "mode.unknown": {"zh-CN": "其他模式", "en": "another mode"},
  "modeset.normal": {"zh-CN": "所有门已恢复正常模式", "en": "All doors are back to normal"},
  "modeset.emergency_unlock": {"zh-CN": "所有门已设为紧急开门", "en": "All doors are set to emergency unlock"},
  "modeset.lockdown": {"zh-CN": "所有门已封锁", "en": "All doors are locked down"},
  "alarm.held_open": {"zh-CN": "长时间未关", "en": "held open"},
  "alarm.forced_open": {"zh-CN": "被强行打开", "en": "forced open"},
  "alarm.unsecured": {"zh-CN": "门锁离线，门未锁住", "en": "lock offline, door not secured"},
  "alarm.unknown": {"zh-CN": "其他报警", "en": "another alarm"},
  "visitor.heading": {"zh-CN": "登记访客", "en": "Register a visitor"},
  "visitor.name": {"zh-CN": "姓名", "en": "Name"},
  "visitor.host": {"zh-CN": "拜访住户（住户编号）", "en": "Visiting (resident id)"},
  "visitor.hours": {"zh-CN": "有效时长（小时）", "en": "Valid for (hours)"},
  "visitor.uses": {"zh-CN": "可进入次数（0 = 不限）", "en": "Entries (0 = unlimited)"},
  "visitor.photo": {"zh-CN": "照片（选择文件，或用手机拍照）", "en": "Photo (a file, or the camera on a phone)"},
  "visitor.submit": {"zh-CN": "登记", "en": "Register"},
  "visitor.qr_alt": {"zh-CN": "访客通行证二维码", "en": "the visitor's pass as a QR code"},
  "visitor.registered": {"zh-CN": "已登记访客{name}（编号 {id}）", "en": "registered {name} ({id})"},
  "visitor.pass_code": {"zh-CN": "通行码：{code}，输入后按 #", "en": "Pass code: {code} then #"},
  "events.heading": {"zh-CN": "实时事件", "en": "Live events"},
  "who.unknown": {"zh-CN": "未知人员", "en": "someone unknown"},
  "place.unknown": {"zh-CN": "未知位置", "en": "an unknown place"},
  "ev.access.granted": {"zh-CN": "{door}：{person}通行", "en": "{door}: {person} let in"},
  "ev.access.denied": {"zh-CN": "{door}：{person}被拒绝，{reason}", "en": "{door}: {person} refused: {reason}"},
  "ev.alarm.duress": {"zh-CN": "{door}：{person}发出胁迫报警", "en": "{door}: duress alarm from {person}"},
  "ev.pd.online": {"zh-CN": "终端{pd}已上线", "en": "Terminal {pd} is online"},
  "ev.pd.offline": {"zh-CN": "终端{pd}离线", "en": "Terminal {pd} went offline"},
  "ev.pd.secure_channel": {"zh-CN": "终端{pd}已建立加密通道", "en": "Terminal {pd}: secure channel established"},
  "ev.pd.tamper": {"zh-CN": "终端{pd}被拆动（防拆报警）", "en": "Terminal {pd} was tampered with (tamper alarm)"},
  "ev.pd.tamper_cleared": {"zh-CN": "终端{pd}防拆报警已解除", "en": "Terminal {pd}: tamper alarm cleared"},
  "ev.pd.power": {"zh-CN": "终端{pd}电源故障", "en": "Terminal {pd}: power failure"},
  "ev.pd.power_restored": {"zh-CN": "终端{pd}电源已恢复", "en": "Terminal {pd}: power restored"},
  "ev.door.opened": {"zh-CN": "{door}被打开", "en": "{door} was opened"},
  "ev.door.closed": {"zh-CN": "{door}已关上", "en": "{door} closed"},
  "ev.door.held_open": {"zh-CN": "{door}开着太久未关（报警）", "en": "{door} held open too long (alarm)"},
  "ev.door.held_open_cleared": {"zh-CN": "{door}长时间未关的报警已解除", "en": "{door}: held-open alarm cleared"},
  "ev.door.forced_open": {"zh-CN": "{door}被强行打开（报警）", "en": "{door} was forced open (alarm)"},
  "ev.door.rex": {"zh-CN": "{door}的出门按钮被按下", "en": "{door}: exit button pressed"},
  "ev.door.unlocked": {"zh-CN": "{door}门锁已释放", "en": "{door}: lock released"},
  "ev.door.relocked": {"zh-CN": "{door}已重新上锁", "en": "{door} locked again"},
  "ev.door.mode": {"zh-CN": "{door}的模式改为{mode}", "en": "{door}: mode set to {mode}"},
  "ev.door.lock_offline": {"zh-CN": "{door}的门锁终端离线", "en": "{door}: the lock's terminal is offline"},
  "ev.door.lock_online": {"zh-CN": "{door}的门锁终端已恢复在线", "en": "{door}: the lock's terminal is back online"},
  "ev.door.unsecured": {"zh-CN": "{door}门锁离线，门未锁住（报警）", "en": "{door}: lock offline, the door is not secured (alarm)"},
  "ev.door.lock_failed": {"zh-CN": "{door}没有打开：{reason}", "en": "{door} did not open: {reason}"},
  "ev.emergency.fire": {"zh-CN": "收到火警信号", "en": "Fire alarm signal received"},
  "ev.system.start": {"zh-CN": "门禁控制器已启动", "en": "The controller started"},
  "ev.system.stop": {"zh-CN": "门禁控制器已停止", "en": "The controller stopped"},
  "ev.alert.denial_burst": {"zh-CN": "{door}：短时间内多次被拒绝（风险提示）", "en": "{door}: many refusals in a short time (warning)"},
  "ev.alert.unknown_repeated": {"zh-CN": "{door}：未登记的卡或人脸反复出现（风险提示）", "en": "{door}: an unknown card or face keeps being presented (warning)"},
  "ev.alert.wrong_pin": {"zh-CN": "{door}：多次输错密码（风险提示）", "en": "{door}: repeated wrong PINs (warning)"},
  "ev.alert.door_forced": {"zh-CN": "{door}被强行打开（风险提示）", "en": "{door} was forced open (warning)"},
  "ev.alert.door_held_open": {"zh-CN": "{door}长时间未关（风险提示）", "en": "{door} is held open (warning)"},
  "ev.alert.tamper": {"zh-CN": "终端{pd}防拆报警（风险提示）", "en": "Tamper alarm at terminal {pd} (warning)"},
  "ev.alert.terminal_offline": {"zh-CN": "终端{pd}离线（风险提示）", "en": "Terminal {pd} is offline (warning)"},
  "ev.alert.duress": {"zh-CN": "{door}：胁迫报警（风险提示）", "en": "{door}: duress alarm (warning)"},
  "ev.visitor.registered": {"zh-CN": "已登记访客{person}", "en": "Visitor {person} registered"},
  "ev.visitor.invited": {"zh-CN": "住户邀请了访客{person}", "en": "A resident invited visitor {person}"},
  "ev.auth.login": {"zh-CN": "有账号登录了值班台", "en": "An account signed in"},
  "ev.auth.login_failed": {"zh-CN": "有一次登录失败", "en": "A sign-in failed"},
  "ev.identity.saved": {"zh-CN": "已保存{person}的资料", "en": "{person}'s record saved"},
  "ev.identity.deleted": {"zh-CN": "已删除{person}", "en": "{person} removed"},
  "ev.credential.added": {"zh-CN": "已为{person}添加凭证", "en": "A credential added for {person}"},
  "ev.credential.removed": {"zh-CN": "已删除{person}的凭证", "en": "A credential of {person} removed"},
  "ev.device.pairing_issued": {"zh-CN": "已为{person}生成手机配对码", "en": "A phone pairing code issued for {person}"},
  "ev.device.paired": {"zh-CN": "{person}的手机已配对", "en": "{person}'s phone paired"},
  "ev.device.pairing_failed": {"zh-CN": "一次手机配对失败", "en": "A phone pairing failed"},
  "ev.device.revoked": {"zh-CN": "已撤销{person}的手机", "en": "{person}'s phone revoked"},
  "ev.door.mode_requested": {"zh-CN": "已请求将{door}的模式改为{mode}", "en": "{door}: asked to set the mode to {mode}"},
  "ev.enrol.finger": {"zh-CN": "已在{pd}为{person}录入指纹", "en": "A fingerprint of {person} enrolled at {pd}"},
  "ev.identity.removed": {"zh-CN": "已从指纹模块删除{person}", "en": "{person} removed from the fingerprint modules"},
  "ev.face.capture_dropped": {"zh-CN": "终端{pd}的人脸照片传输不完整，已丢弃", "en": "Terminal {pd}: an incomplete face capture was dropped"},
  "evx.guard_open": {"zh-CN": "{door}：值班台{account}下令开门", "en": "{door}: {account} asked from the console to open it"},
  "ev.unknown": {"zh-CN": "其他事件", "en": "Another event"},
  "reason.granted": {"zh-CN": "允许通行", "en": "allowed"},
  "reason.unknown_card": {"zh-CN": "卡未登记", "en": "the card is not registered"},
  "reason.bad_read": {"zh-CN": "读卡不完整，请重新刷卡", "en": "the card was not read completely"},
  "reason.not_allowed_at_door": {"zh-CN": "无权通过此门", "en": "not allowed at this door"},
  "reason.identity_disabled": {"zh-CN": "此人已被停用", "en": "this person is disabled"},
  "reason.wrong_pin": {"zh-CN": "密码错误", "en": "wrong PIN"},
  "reason.pin_without_card": {"zh-CN": "输入了密码但没有刷卡", "en": "a PIN without a card"},
  "reason.schedule_missing": {"zh-CN": "通行时间表不存在", "en": "the schedule is missing"},
  "reason.lock_offline": {"zh-CN": "门锁终端离线，门没有打开", "en": "the lock's terminal is offline, the door did not open"},
  "reason.lock_refused": {"zh-CN": "门锁终端拒绝了命令，门没有打开", "en": "the lock's terminal refused the command, the door did not open"},
  "reason.lock_no_reply": {"zh-CN": "门锁终端没有应答，门没有打开", "en": "the lock's terminal did not answer, the door did not open"},
  "reason.internal_error": {"zh-CN": "系统内部错误", "en": "an internal error"},
  "reason.not_recorded": {"zh-CN": "事件无法记录，为安全起见拒绝", "en": "the event could not be recorded, so it was refused"},
  "reason.factor_timeout": {"zh-CN": "第二种验证方式超时", "en": "the second factor came too late"},
  "reason.awaiting_factor": {"zh-CN": "等待第二种验证方式", "en": "waiting for a second factor"},
  "reason.factor_mismatch": {"zh-CN": "两种验证方式不属于同一人", "en": "the second factor belongs to someone else"},
  "reason.factor_not_accepted": {"zh-CN": "此门不接受这种验证方式", "en": "this door does not accept that factor"},
  "reason.blacklisted": {"zh-CN": "卡已挂失（黑名单）", "en": "the card is blacklisted"},
  "reason.outside_schedule": {"zh-CN": "不在允许通行的时间内", "en": "outside the allowed hours"},
  "reason.pass_not_yet_valid": {"zh-CN": "访客通行证尚未生效", "en": "the visitor's pass is not valid yet"},
  "reason.pass_expired": {"zh-CN": "访客通行证已过期", "en": "the visitor's pass has expired"},
  "reason.pass_used_up": {"zh-CN": "访客通行证的次数已用完", "en": "the visitor's pass is used up"},
  "reason.pass_wrong_door": {"zh-CN": "访客通行证不适用于此门", "en": "the visitor's pass is not for this door"},
  "reason.visitor_without_pass": {"zh-CN": "访客没有通行证", "en": "a visitor without a pass"},
  "reason.antipassback": {"zh-CN": "进出记录不符（反潜回）", "en": "anti-passback: entry and exit do not match"},
  "reason.lockdown": {"zh-CN": "门已封锁", "en": "the doors are locked down"},
  "reason.emergency_unlock": {"zh-CN": "紧急开门中", "en": "emergency unlock"},
  "reason.unknown_face": {"zh-CN": "人脸未登记", "en": "the face is not registered"},
  "reason.liveness_too_low": {"zh-CN": "活体检测未通过", "en": "the liveness check failed"},
  "reason.no_face_in_capture": {"zh-CN": "画面中没有人脸", "en": "no face in the capture"},
  "reason.several_faces": {"zh-CN": "画面中有多张人脸", "en": "several faces in the capture"},
  "reason.unreadable_image": {"zh-CN": "图像无法读取", "en": "the image could not be read"},
  "reason.face_engine_busy": {"zh-CN": "人脸识别繁忙", "en": "the face engine is busy"},
  "reason.face_matching_unavailable": {"zh-CN": "人脸识别不可用", "en": "face matching is unavailable"},
  "reason.opened_by_guard": {"zh-CN": "值班人员开门", "en": "opened by a guard"},
  "reason.unknown": {"zh-CN": "其他原因", "en": "another reason"},
  "err.bad_code": {"zh-CN": "配对码不对或已过期，请向门卫处重新索取", "en": "The pairing code is wrong or has expired: ask the gatehouse for a new one"},
  "err.bad_login": {"zh-CN": "账号或密码不对", "en": "The account or the password is wrong"},
  "err.bad_query": {"zh-CN": "查询条件有误", "en": "The query is not valid"},
  "err.bad_request": {"zh-CN": "填写的内容有误，请检查后重试", "en": "Something entered is not valid: check and try again"},
  "err.busy": {"zh-CN": "系统正忙，请稍后再试", "en": "The system is busy: try again shortly"},
  "err.conflict": {"zh-CN": "与现有记录冲突", "en": "This conflicts with an existing record"},
  "err.csrf": {"zh-CN": "页面已过期，请刷新后重试", "en": "The page has expired: reload it and try again"},
  "err.emergency": {"zh-CN": "紧急开门期间不能封锁", "en": "Lockdown is refused during an emergency unlock"},
  "err.enrolment_failed": {"zh-CN": "录入失败", "en": "Enrolment failed"},
  "err.forbidden": {"zh-CN": "您的账号无权执行此操作", "en": "Your account may not do this"},
  "err.locked": {"zh-CN": "登录失败次数过多，已暂时锁定，请稍后再试", "en": "Too many failed sign-ins: locked for a while, try again later"},
  "err.no_face": {"zh-CN": "照片中没有找到人脸，请换一张正面照片", "en": "No face found in the photo: use a photo of the face from the front"},
  "err.not_an_image": {"zh-CN": "文件不是 JPEG 或 PNG 图片", "en": "The file is not a JPEG or PNG image"},
  "err.not_found": {"zh-CN": "找不到该记录（例如住户编号不存在）", "en": "Not found (for example, no resident with that id)"},
  "err.rate_limited": {"zh-CN": "操作太频繁，请稍后再试", "en": "Too many attempts: wait a minute and try again"},
  "err.several_faces": {"zh-CN": "照片中有多张人脸，请只拍一个人", "en": "Several faces in the photo: one person only"},
  "err.too_large": {"zh-CN": "文件或内容太大", "en": "The file or the request is too large"},
  "err.unauthenticated": {"zh-CN": "请先登录", "en": "Sign in first"},
  "err.unavailable": {"zh-CN": "此功能当前不可用", "en": "This is not available right now"},
  "err.internal": {"zh-CN": "系统内部错误，请联系管理员", "en": "An internal error: tell the administrator"},
  "err.lock_offline": {"zh-CN": "门锁终端离线，门没有打开", "en": "The lock's terminal is offline: the door did not open"},
  "err.lock_refused": {"zh-CN": "门锁终端拒绝了命令，门没有打开", "en": "The lock's terminal refused the command: the door did not open"},
  "err.lock_no_reply": {"zh-CN": "门锁终端没有应答，门没有打开", "en": "The lock's terminal did not answer: the door did not open"},
  "err.network": {"zh-CN": "无法连接门禁控制器", "en": "The controller cannot be reached"},
  "err.unknown": {"zh-CN": "操作失败（{status}）", "en": "The request failed ({status})"},
  "pair.heading": {"zh-CN": "为住户手机配对", "en": "Pair a resident's phone"},
  "pair.resident_placeholder": {"zh-CN": "住户编号", "en": "resident id"},
  "pair.issue": {"zh-CN": "生成配对码", "en": "Issue code"},
  "pair.issued": {"zh-CN": "配对码 {code} ：请住户在 10 分钟内用手机打开住户页面并输入", "en": "code {code} — open the resident page on the phone within 10 minutes"},
  "phone.pair_heading": {"zh-CN": "为这部手机配对", "en": "Pair this phone"},
  "phone.pair_hint": {"zh-CN": "请向门卫处索取配对码。", "en": "Ask the gatehouse for a pairing code."},
  "phone.code": {"zh-CN": "配对码", "en": "Pairing code"},
  "phone.name": {"zh-CN": "给这部手机起个名字", "en": "Name this phone"},
  "phone.name_default": {"zh-CN": "我的手机", "en": "my phone"},
  "phone.pair": {"zh-CN": "配对", "en": "Pair"},
  "phone.open_heading": {"zh-CN": "开门", "en": "Open a door"},
  "phone.open_door": {"zh-CN": "打开{door}", "en": "Open {door}"},
  "phone.opened": {"zh-CN": "{door}：已打开", "en": "{door}: opened"},
  "phone.asked": {"zh-CN": "{door}：已请求开门，尚未确认，门可能没有打开", "en": "{door}: asked to open, not confirmed yet"},
  "phone.invite_heading": {"zh-CN": "邀请访客", "en": "Invite a guest"},
  "phone.guest_name": {"zh-CN": "访客姓名", "en": "Guest's name"},
  "phone.guest_hours": {"zh-CN": "有效时长（小时）", "en": "Valid for (hours)"},
  "phone.invite": {"zh-CN": "邀请", "en": "Invite"},
  "phone.invited": {"zh-CN": "请把下面的访客码发给{name}：有效期至{until}", "en": "send this to {name}: valid until {until}"},
  "phone.guest_code": {"zh-CN": "访客码：{code}，输入后按 #", "en": "Code: {code} then #"},
  "phone.guest_qr_alt": {"zh-CN": "访客通行证二维码", "en": "the guest's pass as a QR code"},
  "phone.forget": {"zh-CN": "解除这部手机的配对", "en": "Unpair this phone"},
  "msg.missing": {"zh-CN": "（缺少文字）", "en": "(text missing)"},
  "tabs.residents": {"zh-CN": "住户", "en": "Residents"},
  "role.office": {"zh-CN": "物业", "en": "property office"},
  "res.heading": {"zh-CN": "住户", "en": "Residents"},
  "res.search_label": {"zh-CN": "查找住户", "en": "Find a resident"},
  "res.search_placeholder": {"zh-CN": "姓名、房号或卡号", "en": "name, flat or card number"},
  "res.search": {"zh-CN": "查找", "en": "Find"},
  "res.new": {"zh-CN": "新增住户", "en": "New resident"},
  "res.col.name": {"zh-CN": "姓名", "en": "Name"},
  "res.col.unit": {"zh-CN": "房号", "en": "Flat"},
  "res.col.phone": {"zh-CN": "电话", "en": "Phone"},
  "res.col.cards": {"zh-CN": "门卡", "en": "Cards"},
  "res.prev": {"zh-CN": "上一页", "en": "Previous"},
  "res.next": {"zh-CN": "下一页", "en": "Next"},
  "res.count": {"zh-CN": "共 {total} 位住户，当前第 {from}–{to} 位", "en": "{total} residents, showing {from}–{to}"},
  "res.none": {"zh-CN": "还没有住户", "en": "No residents yet"},
  "res.none_match": {"zh-CN": "没有找到与“{q}”相符的住户", "en": "No resident matches “{q}”"},
  "res.cards_n": {"zh-CN": "{n} 张", "en": "{n}"},
  "res.cards_lost": {"zh-CN": "{n} 张（{lost} 张已挂失）", "en": "{n} ({lost} blacklisted)"},
  "res.manage": {"zh-CN": "管理", "en": "Manage"},
  "res.view": {"zh-CN": "查看", "en": "View"},
  "res.field.id": {"zh-CN": "住户编号", "en": "Resident id"},
  "res.id_placeholder": {"zh-CN": "例如 3-201-zhang（字母、数字、-）", "en": "e.g. 3-201-zhang (letters, digits, -)"},
  "res.field.name": {"zh-CN": "姓名", "en": "Name"},
  "res.field.unit": {"zh-CN": "房号", "en": "Flat"},
  "res.unit_placeholder": {"zh-CN": "楼号-房号，例如 3-201", "en": "building-flat, e.g. 3-201"},
  "res.field.phone": {"zh-CN": "电话", "en": "Phone"},
  "res.field.groups": {"zh-CN": "分组（用逗号分隔）", "en": "Groups (comma separated)"},
  "res.field.schedule": {"zh-CN": "通行时段", "en": "Access hours"},
  "res.schedule.none": {"zh-CN": "不限时段", "en": "Any time"},
  "res.schedule.named": {"zh-CN": "{name}（{id}）", "en": "{name} ({id})"},
  "res.save": {"zh-CN": "保存", "en": "Save"},
  "res.cancel": {"zh-CN": "取消", "en": "Cancel"},
  "res.edit": {"zh-CN": "修改资料", "en": "Edit"},
  "res.new_heading": {"zh-CN": "新增住户", "en": "New resident"},
  "res.edit_heading": {"zh-CN": "修改{name}的资料", "en": "Edit {name}"},
  "res.saved": {"zh-CN": "已保存{name}的资料", "en": "{name} saved"},
  "res.exists": {"zh-CN": "这个住户编号已被使用，请换一个", "en": "This resident id is taken: choose another"},
  "res.bad.id": {"zh-CN": "住户编号有误：请用 1 到 64 个字母、数字、点、下划线或连字符", "en": "Resident id: use 1 to 64 letters, digits, dots, underscores or hyphens"},
  "res.bad.name": {"zh-CN": "请填写姓名（不超过 128 字节，不含控制字符）", "en": "Name: required, at most 128 bytes, no control characters"},
  "res.bad.unit": {"zh-CN": "房号有误（不超过 64 字节，不含控制字符）", "en": "Flat: at most 64 bytes, no control characters"},
  "res.bad.phone": {"zh-CN": "电话号码有误：只能有数字、空格、+ 或 -，最多 20 位", "en": "Phone: digits, spaces, + or - only, at most 20"},
  "res.bad.groups": {"zh-CN": "分组有误：每个分组用字母、数字、点、下划线或连字符", "en": "Groups: each one letters, digits, dots, underscores or hyphens"},
  "res.bad.schedule": {"zh-CN": "所选通行时段不存在，请重新选择", "en": "That schedule does not exist: choose another"},
  "res.detail_heading": {"zh-CN": "{name}（{unit}）", "en": "{name} ({unit})"},
  "res.info.id": {"zh-CN": "编号 {id}", "en": "id {id}"},
  "res.info.phone": {"zh-CN": "电话 {phone}", "en": "phone {phone}"},
  "res.info.groups": {"zh-CN": "分组 {groups}", "en": "groups {groups}"},
  "res.info.schedule": {"zh-CN": "通行时段：{schedule}", "en": "access hours: {schedule}"},
  "res.info.no_schedule": {"zh-CN": "通行时段不限", "en": "any time"},
  "res.info.fingers": {"zh-CN": "已录入 {n} 枚指纹", "en": "{n} fingerprints enrolled"},
  "res.info.faces": {"zh-CN": "已录入 {n} 张人脸", "en": "{n} faces enrolled"},
  "res.info.no_face": {"zh-CN": "未录入人脸", "en": "no face enrolled"},
  "res.info.disabled": {"zh-CN": "已停用", "en": "disabled"},
  "res.move_out": {"zh-CN": "迁出", "en": "Move out"},
  "res.move_out_question": {"zh-CN": "确定让{name}迁出吗？其门卡、密码、人脸、指纹和手机都会被删除，无法恢复。", "en": "Move {name} out? Their cards, PIN, faces, fingerprints and phones are deleted for good."},
  "res.move_out_yes": {"zh-CN": "迁出并删除", "en": "Move out and delete"},
  "res.moved_out": {"zh-CN": "{name}已迁出，其全部资料已删除", "en": "{name} moved out: everything of theirs is deleted"},
  "card.heading": {"zh-CN": "门卡", "en": "Cards"},
  "card.none": {"zh-CN": "没有门卡", "en": "No cards"},
  "card.format": {"zh-CN": "卡号的写法", "en": "How the number is written"},
  "card.format.8h10d": {"zh-CN": "卡面印的 10 位数字", "en": "The 10 digits printed on the card"},
  "card.format.w26": {"zh-CN": "韦根26（设施码,卡号，如 188,24910）", "en": "Wiegand 26 (facility,card, e.g. 188,24910)"},
  "card.format.hex": {"zh-CN": "十六进制（如 00BC614E）", "en": "Hexadecimal (e.g. 00BC614E)"},
  "card.format.wiegand": {"zh-CN": "其他格式（如 h10301:1:1234）", "en": "Another format (e.g. h10301:1:1234)"},
  "card.number": {"zh-CN": "卡号", "en": "Card number"},
  "card.bits": {"zh-CN": "本小区读卡器的输出", "en": "What the estate's readers send"},
  "card.bits.26": {"zh-CN": "韦根26", "en": "Wiegand 26"},
  "card.bits.34": {"zh-CN": "韦根34", "en": "Wiegand 34"},
  "card.add": {"zh-CN": "添加门卡", "en": "Add card"},
  "card.form.8h10d": {"zh-CN": "卡面号 {value}", "en": "printed {value}"},
  "card.form.w26": {"zh-CN": "韦根26 {value}", "en": "W26 {value}"},
  "card.form.hex": {"zh-CN": "十六进制 {value}", "en": "hex {value}"},
  "card.masked": {"zh-CN": "卡号已隐藏（{hint}）", "en": "number hidden ({hint})"},
  "card.frame": {"zh-CN": "读卡器发送韦根{bits}位", "en": "readers send {bits} bits"},
  "card.added_on": {"zh-CN": "添加于 {time}", "en": "added {time}"},
  "card.is_blacklisted": {"zh-CN": "已挂失", "en": "blacklisted"},
  "card.blacklist": {"zh-CN": "挂失", "en": "Blacklist (lost)"},
  "card.unblacklist": {"zh-CN": "解除挂失", "en": "Take off the blacklist"},
  "card.remove": {"zh-CN": "删除门卡", "en": "Remove card"},
  "card.blacklisted_msg": {"zh-CN": "已挂失{name}的这张卡：从下一次刷卡起，所有读卡器都会拒绝它", "en": "{name}'s card is blacklisted: every reader refuses it from the next read"},
  "card.unblacklisted_msg": {"zh-CN": "已解除挂失：{name}的这张卡又可以开门了", "en": "Taken off the blacklist: {name}'s card opens doors again"},
  "card.removed_msg": {"zh-CN": "已删除{name}的这张卡", "en": "{name}'s card removed"},
  "card.added_msg": {"zh-CN": "已为{name}添加门卡", "en": "Card added for {name}"},
  "card.in_use": {"zh-CN": "这张卡已经登记给别人了", "en": "This card belongs to someone else"},
  "card.bad.card": {"zh-CN": "卡号的写法与所选格式不符：卡面号为 1 到 10 位数字，韦根26 为“设施码,卡号”（0–255,0–65535），十六进制最多 8 位", "en": "The number does not fit the chosen form: printed 1 to 10 digits, Wiegand 26 facility,card (0-255,0-65535), hex up to 8 digits"},
  "card.bad.bits": {"zh-CN": "韦根26 的写法缺少卡号的高 8 位，不能用于韦根34 读卡器：请输入卡面号或十六进制", "en": "The Wiegand 26 form lacks the top 8 bits a Wiegand 34 reader sends: enter the printed digits or the hex"},
  "card.bad.format": {"zh-CN": "请选择卡号的写法", "en": "Choose how the number is written"},
  "card.capture_reader": {"zh-CN": "或在读卡器上刷卡", "en": "Or present the card at a reader"},
  "card.capture": {"zh-CN": "读取门卡", "en": "Read a card"},
  "card.capture_add": {"zh-CN": "添加这张卡", "en": "Add this card"},
  "card.capture_waiting": {"zh-CN": "请在{seconds}秒内把卡放到{reader}上……（这次刷卡不会开门）", "en": "Present the card at {reader} within {seconds} s… (this read opens no door)"},
  "card.captured": {"zh-CN": "在{reader}上读到卡 {number}，还没有登记", "en": "Read card {number} at {reader}; not registered yet"},
  "card.captured_own": {"zh-CN": "读到卡 {number}：已经是这位住户的卡", "en": "Read card {number}: already this resident's"},
  "card.captured_owned": {"zh-CN": "读到卡 {number}：这张卡已登记给{name}", "en": "Read card {number}: it belongs to {name}"},
  "card.capture_none": {"zh-CN": "{reader}上没有刷卡，请重试", "en": "No card was presented at {reader}: try again"},
  "res.pin.heading": {"zh-CN": "开门密码", "en": "PIN"},
  "res.pin.label": {"zh-CN": "新密码", "en": "New PIN"},
  "res.pin.placeholder": {"zh-CN": "4 到 12 位数字", "en": "4 to 12 digits"},
  "res.pin.set": {"zh-CN": "设置密码", "en": "Set PIN"},
  "res.pin.is_set": {"zh-CN": "已设置密码", "en": "A PIN is set"},
  "res.pin.not_set": {"zh-CN": "未设置密码", "en": "No PIN"},
  "res.pin.saved": {"zh-CN": "已为{name}设置新密码", "en": "New PIN set for {name}"},
  "res.pin.bad": {"zh-CN": "密码须为 4 到 12 位数字，且不能与胁迫密码相同", "en": "A PIN is 4 to 12 digits and differs from the duress PIN"},
  "res.face.heading": {"zh-CN": "人脸", "en": "Face"},
  "res.face.photo": {"zh-CN": "人脸照片（选择文件，或用手机摄像头拍）", "en": "A photo of the face (a file, or the camera)"},
  "res.face.upload": {"zh-CN": "检查并保存", "en": "Check and save"},
  "res.face.choose": {"zh-CN": "请先选择一张照片", "en": "Choose a photo first"},
  "res.face.checking": {"zh-CN": "正在检查照片……", "en": "Checking the photo…"},
  "res.face.saved": {"zh-CN": "照片合格，已保存{name}的人脸", "en": "The photo is good: {name}'s face saved"},
  "res.face.failed": {"zh-CN": "照片没有保存：{error}", "en": "The photo was not saved: {error}"},
  "phones.heading": {"zh-CN": "已配对的手机", "en": "Paired phones"},
  "phones.none": {"zh-CN": "没有配对的手机", "en": "No paired phones"},
  "phones.unnamed": {"zh-CN": "未命名的手机", "en": "An unnamed phone"},
  "phones.paired_on": {"zh-CN": "配对于 {time}", "en": "paired {time}"},
  "phones.last_used": {"zh-CN": "最近使用 {time}", "en": "last used {time}"},
  "phones.never_used": {"zh-CN": "从未使用", "en": "never used"},
  "phones.is_revoked": {"zh-CN": "已撤销", "en": "revoked"},
  "phones.revoke": {"zh-CN": "撤销", "en": "Revoke"},
  "phones.revoked_msg": {"zh-CN": "已撤销“{name}”：这部手机不能再开门", "en": "“{name}” revoked: this phone opens nothing any more"},
  "res.finger.heading": {"zh-CN": "指纹", "en": "Fingerprint"},
  "res.finger.module": {"zh-CN": "指纹模块", "en": "Fingerprint module"},
  "res.finger.enrol": {"zh-CN": "录入指纹", "en": "Enrol a finger"},
  "res.finger.step1": {"zh-CN": "请住户把手指平放在指纹模块上", "en": "The resident puts the finger flat on the module"},
  "res.finger.step2": {"zh-CN": "模块提示后抬起手指", "en": "Lift it when the module signals"},
  "res.finger.step3": {"zh-CN": "再把同一根手指按一次", "en": "Put the same finger on again"},
  "res.finger.waiting": {"zh-CN": "请{name}在 1 分钟内按下面的步骤在{module}上录入指纹……", "en": "{name}: follow the steps below at {module} within a minute…"},
  "res.finger.enrolled": {"zh-CN": "已为{name}录入指纹（{module}，第 {slot} 号）", "en": "Fingerprint enrolled for {name} ({module}, slot {slot})"},
  "res.finger.failed": {"zh-CN": "指纹没有录入：{error}", "en": "The fingerprint was not enrolled: {error}"},
  "res.finger.offline": {"zh-CN": "{module}（离线）", "en": "{module} (offline)"},
  "res.finger.none": {"zh-CN": "没有配置指纹模块", "en": "No fingerprint modules are configured"},
  "imp.heading": {"zh-CN": "批量导入住户（CSV 文件）", "en": "Import residents from a CSV file"},
  "imp.hint": {"zh-CN": "从表格软件另存为 CSV。第一行写列名：姓名（必填）、楼号、房号、电话、分组、卡号（卡面 10 位数字、“设施码,卡号”或十六进制）。先预检，没有问题再导入。", "en": "Save the spreadsheet as CSV. The first line names the columns, in Chinese or English: name (required), building, flat, phone, groups, card (the 10 printed digits, facility,card or hex). Check first; import when there are no problems."},
  "imp.file": {"zh-CN": "CSV 文件（UTF-8 或 GB18030 编码）", "en": "CSV file (UTF-8 or GB18030)"},
  "imp.check": {"zh-CN": "预检（不写入）", "en": "Check (writes nothing)"},
  "imp.run": {"zh-CN": "导入", "en": "Import"},
  "imp.choose": {"zh-CN": "请先选择 CSV 文件", "en": "Choose a CSV file first"},
  "imp.col.line": {"zh-CN": "行号", "en": "Line"},
  "imp.col.problems": {"zh-CN": "问题", "en": "Problems"},
  "imp.row_ok": {"zh-CN": "可以导入", "en": "ready"},
  "imp.enc.utf8": {"zh-CN": "UTF-8", "en": "UTF-8 text"},
  "imp.enc.gb18030": {"zh-CN": "GB18030（中文 Windows 的表格默认编码）", "en": "GB18030 (Chinese Windows spreadsheets)"},
  "imp.checked_ok": {"zh-CN": "预检通过：{n} 行都可以导入（{encoding}），尚未写入", "en": "Checked: all {n} rows can be imported ({encoding}); nothing written yet"},
  "imp.checked_bad": {"zh-CN": "预检发现 {bad} 行有问题（共 {n} 行，{encoding}），什么都没有写入；请改好文件后重新预检", "en": "{bad} of {n} rows have problems ({encoding}); nothing was written: fix the file and check again"},
  "imp.done": {"zh-CN": "已导入 {n} 位住户", "en": "{n} residents imported"},
  "imp.failed": {"zh-CN": "导入失败：{error}", "en": "The import failed: {error}"},
  "imp.problem.required": {"zh-CN": "{field}：必须填写", "en": "{field}: required"},
  "imp.problem.invalid": {"zh-CN": "{field}：写法不对", "en": "{field}: not valid"},
  "imp.problem.duplicate": {"zh-CN": "{field}：文件里重复出现", "en": "{field}: appears twice in the file"},
  "imp.problem.exists": {"zh-CN": "{field}：已有这位住户", "en": "{field}: this resident exists already"},
  "imp.problem.in_use": {"zh-CN": "{field}：这张卡已登记给别人", "en": "{field}: the card belongs to someone already"},
  "imp.problem.unknown": {"zh-CN": "{field}：其他问题", "en": "{field}: another problem"},
  "imp.field.id": {"zh-CN": "住户编号", "en": "Resident id"},
  "imp.field.name": {"zh-CN": "姓名", "en": "Name"},
  "imp.field.building": {"zh-CN": "楼号", "en": "Building"},
  "imp.field.unit": {"zh-CN": "房号", "en": "Flat"},
  "imp.field.phone": {"zh-CN": "电话", "en": "Phone"},
  "imp.field.groups": {"zh-CN": "分组", "en": "Groups"},
  "imp.field.card": {"zh-CN": "卡号", "en": "Card"},
  "err.bad_file": {"zh-CN": "文件无法读取：请用 UTF-8 或 GB18030 编码的 CSV，第一行写列名（含“姓名”）", "en": "The file cannot be read: a CSV in UTF-8 or GB18030 whose first line names the columns (a name column among them)"},
  "err.import_problems": {"zh-CN": "文件中有问题行，什么都没有写入；请先预检", "en": "Some rows have problems; nothing was written: check the file first"},
  "ev.residents.imported": {"zh-CN": "从 CSV 文件批量导入了住户", "en": "Residents imported from a CSV file"},
  "err.capture_busy": {"zh-CN": "有人正在这个读卡器上读卡，请稍后再试", "en": "Someone is already reading a card at this reader: try again shortly"},
  "err.capture_timeout": {"zh-CN": "读卡器上没有刷卡", "en": "No card was presented at the reader"},
  "ev.card.captured": {"zh-CN": "{pd}读到一张卡，用于登记（未开门）", "en": "{pd}: a card read for enrolment (no door opened)"}
}
/* end of catalog */;

const LANGS = ["zh-CN", "en"];

// The language: the one chosen on the page (remembered), else zh-CN for a
// browser that prefers Chinese, else English.
function pickLang() {
  let saved = null;
  try { saved = localStorage.getItem("menwei-lang"); } catch (e) { saved = null; }
  if (LANGS.includes(saved)) return saved;
  const prefs = (navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language || ""];
  for (const l of prefs) {
    const p = String(l).toLowerCase();
    if (p.startsWith("zh")) return "zh-CN";
    if (p.startsWith("en")) return "en";
  }
  return "en";
}
let lang = pickLang();

function hasMsg(key) { return Object.prototype.hasOwnProperty.call(MESSAGES, key); }

// t returns the sentence for key in the chosen language with its
// placeholders filled; never the key itself.
function t(key, vars) {
  const m = hasMsg(key) ? MESSAGES[key] : MESSAGES["msg.missing"];
  const s = m[lang] !== undefined ? m[lang] : MESSAGES["msg.missing"][lang];
  return s.replace(/\{(\w+)\}/g, (_, n) => (vars && vars[n] !== undefined && vars[n] !== null) ? String(vars[n]) : "");
}

// codeText turns a machine code into its sentence (prefix + code), or the
// generic sentence; an unknown code is pushed on unknown so that the caller
// shows it in small print.
function codeText(prefix, code, generic, unknown, vars) {
  if (code && hasMsg(prefix + code)) return t(prefix + code, vars);
  if (code && unknown) unknown.push(code);
  return t(generic, vars);
}

// putText fills el with text and the unknown codes in small print.
function putText(el, text, unknown) {
  el.textContent = text;
  for (const c of unknown || []) {
    const s = document.createElement("small");
    s.className = "code";
    s.textContent = c;
    el.appendChild(document.createTextNode(" "));
    el.appendChild(s);
  }
}

// The controller's time zone (from the API); "" = the browser's.
let timeZone = "";
function fmtTime(iso, withDate) {
  const d = new Date(iso);
  const o = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };
  if (withDate) Object.assign(o, { year: "numeric", month: "2-digit", day: "2-digit" });
  try { return new Intl.DateTimeFormat(lang, timeZone ? { ...o, timeZone } : o).format(d); }
  catch (e) { return new Intl.DateTimeFormat(lang, o).format(d); } // an unknown zone name
}

// applyI18n fills the page's static text: data-i18n (text), and
// data-i18n-placeholder, -alt, -value for those attributes.
function applyI18n() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of document.querySelectorAll("[data-i18n-alt]")) el.alt = t(el.dataset.i18nAlt);
  for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of document.querySelectorAll("[data-i18n-value]")) {
    // A value the person has not changed follows the language.
    if (!el.dataset.touched) el.value = t(el.dataset.i18nValue);
    el.oninput = () => { el.dataset.touched = "1"; };
  }
  const sel = document.getElementById("lang");
  if (sel) sel.value = lang;
}

// Hooks run after a switch of language (pages redraw what they built).
const langHooks = [];
function setLang(l) {
  if (!LANGS.includes(l)) return;
  lang = l;
  try { localStorage.setItem("menwei-lang", l); } catch (e) { /* private mode: not remembered */ }
  applyI18n();
  for (const h of langHooks) h();
}

document.addEventListener("DOMContentLoaded", () => {
  applyI18n();
  const sel = document.getElementById("lang");
  if (sel) sel.onchange = () => setLang(sel.value);
});
